// How the tests start Chromium: the system build, headless, no network chatter.
export const chromiumPath = () => process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumArgs(opts: { fakeCamera?: boolean } = {}): string[] {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ];
  // A synthetic camera (a moving test pattern) and auto-accepted permission prompts.
  if (opts.fakeCamera) args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream');
  return args;
}
