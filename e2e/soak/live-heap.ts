// The live JavaScript heap of another Node process, through its inspector (started with `--inspect`).
import CDP from 'chrome-remote-interface'

/** A process's inspector session, which measures its heap after a full garbage collection. */
export class LiveHeap {
  private constructor(private readonly session: CDP.Client) {}

  /** Connects to the inspector listening on 127.0.0.1:`port` (the process got `--inspect=127.0.0.1:<port>`). */
  static async connect(port: number): Promise<LiveHeap> {
    return new LiveHeap(await CDP({ host: '127.0.0.1', port, local: true }))
  }

  /**
   * The heap in use right after a full collection, in MiB: what the process still references, which a leak
   * raises steadily, unlike its resident set, which also holds garbage not yet collected and pages V8 keeps.
   */
  async afterCollectionMiB(): Promise<number> {
    await this.session.HeapProfiler.collectGarbage()
    const { usedSize } = await this.session.Runtime.getHeapUsage()
    return usedSize / 2 ** 20
  }

  async close(): Promise<void> {
    await this.session.close()
  }
}

/** The option that makes a Node program listen for the inspector on 127.0.0.1:`port`, for `NODE_OPTIONS`. */
export const inspectOn = (port: number): NodeJS.ProcessEnv => ({
  NODE_OPTIONS: [process.env.NODE_OPTIONS, `--inspect=127.0.0.1:${port}`].filter(Boolean).join(' '),
})
