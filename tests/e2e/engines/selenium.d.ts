// The part of selenium-webdriver (which ships no types) that launch.ts uses.
declare module 'selenium-webdriver' {
  interface Capabilities {
    get(key: string): unknown;
  }
  interface WebDriver {
    manage(): { setTimeouts(t: { script?: number; pageLoad?: number; implicit?: number }): Promise<void> };
    getCapabilities(): Promise<Capabilities>;
    get(url: string): Promise<void>;
    executeAsyncScript<T = unknown>(script: string, ...args: unknown[]): Promise<T>;
    quit(): Promise<void>;
  }
  export class Builder {
    usingServer(url: string): this;
    withCapabilities(caps: Record<string, unknown>): this;
    build(): Promise<WebDriver>;
  }
}
