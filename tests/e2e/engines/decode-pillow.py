# Decodes the shared ImageNet sample with Pillow (which links libjpeg-turbo with the defaults the
# browsers use: islow IDCT, fancy upsampling) for the cross-engine suite's Node reference.
# stdin: one path per line. stdout, per image: u32 LE width, u32 LE height, then width*height*3
# RGB bytes. A decode error is fatal (exit status 1).
import struct
import sys

from PIL import Image

out = sys.stdout.buffer
for line in sys.stdin:
    path = line.strip()
    if not path:
        continue
    with Image.open(path) as im:
        rgb = im.convert('RGB')
        out.write(struct.pack('<II', rgb.width, rgb.height))
        out.write(rgb.tobytes())
out.flush()
