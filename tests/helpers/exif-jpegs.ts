// The 8 EXIF orientations of one small photo-like JPEG (37×23, two marked corners), written by
// Pillow (python3-pil) into `dir` as o1.jpg … o8.jpg; returns their paths.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export function writeExifJpegs(dir: string, python = process.env.XNOR_PYTHON ?? '/usr/bin/python3'): string[] {
  const files = [1, 2, 3, 4, 5, 6, 7, 8].map((o) => join(dir, `o${o}.jpg`));
  execFileSync(python, ['-c', `
import sys
from PIL import Image
im = Image.radial_gradient('L').resize((37, 23)).convert('RGB')
im.putpixel((0, 0), (255, 0, 0)); im.putpixel((36, 0), (0, 255, 0))
for o, f in enumerate(sys.argv[1:], 1):
    exif = Image.Exif(); exif[0x0112] = o
    im.save(f, quality=95, exif=exif.tobytes())
`, ...files]);
  return files;
}
