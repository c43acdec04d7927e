// Types for the parts of spice-html5 (@spice-project/spice-html5, plain
// JavaScript) that the SPICE console uses.

declare module '@spice-project/spice-html5' {
  /** A message spice-html5 can send: its size and its bytes. */
  export interface SpiceOutMessage {
    buffer_size(): number;
    to_buffer(a: ArrayBuffer, at?: number): number;
  }
  export interface SpiceChannel {
    state: string;
    send_msg(msg: SpiceOutMessage): void;
  }
  export interface SpiceMainConnOptions {
    uri: string;
    password: string;
    screen_id: string;
    message_id?: string;
    onerror?: (e: Error | Event) => void;
    onsuccess?: (msg: string) => void;
    onagent?: (sc: SpiceMainConn) => void;
  }
  /** The main channel; it opens the other channels itself. */
  export class SpiceMainConn {
    constructor(o: SpiceMainConnOptions);
    state: string;
    inputs?: SpiceChannel;
    display?: unknown;
    stop(): void;
  }
}
