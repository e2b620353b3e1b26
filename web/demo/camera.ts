// Webcam: getUserMedia with a camera picker, and friendly messages when it cannot start.

export interface CameraDevice {
  deviceId: string;
  label: string;
}

/** A human sentence for a getUserMedia failure, pointing at the upload path. */
export function cameraErrorMessage(e: unknown): string {
  const name = (e as { name?: string })?.name ?? '';
  const tail = ' You can still classify photos: upload one, drop one on the box below, or pick a sample.';
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError')
    return 'Camera permission was denied.' + tail;
  if (name === 'NotFoundError' || name === 'DevicesNotFoundError' || name === 'OverconstrainedError')
    return 'No camera was found on this device.' + tail;
  if (name === 'NotReadableError' || name === 'TrackStartError')
    return 'The camera is in use by another application or could not be started.' + tail;
  if (name === 'NoMediaDevices') return 'This page cannot use a camera (it needs https or localhost).' + tail;
  return `The camera could not be started (${name || 'error'}: ${(e as Error)?.message ?? e}).` + tail;
}

export async function openCamera(deviceId?: string): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    const e = new Error('navigator.mediaDevices is not available');
    e.name = 'NoMediaDevices';
    throw e;
  }
  return navigator.mediaDevices.getUserMedia({
    audio: false,
    video: deviceId ? { deviceId: { exact: deviceId }, width: { ideal: 640 }, height: { ideal: 480 } } : { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: 'environment' },
  });
}

/** Video inputs (labels are only filled in once permission was granted). */
export async function listCameras(): Promise<CameraDevice[]> {
  const all = await navigator.mediaDevices.enumerateDevices();
  return all
    .filter((d) => d.kind === 'videoinput')
    .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `camera ${i + 1}` }));
}

export function stopStream(s: MediaStream | null): void {
  s?.getTracks().forEach((t) => t.stop());
}

/** Calls `fn` once per new video frame (requestVideoFrameCallback, else animation frames). */
export function onEachFrame(video: HTMLVideoElement, fn: () => void): () => void {
  let stopped = false;
  const v = video as HTMLVideoElement & { requestVideoFrameCallback?: (cb: () => void) => number };
  const tick = () => {
    if (stopped) return;
    fn();
    if (v.requestVideoFrameCallback) v.requestVideoFrameCallback(tick);
    else requestAnimationFrame(tick);
  };
  tick();
  return () => void (stopped = true);
}
