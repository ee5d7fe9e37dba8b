// The reference retrying client with its attempt log printed, as `kv
// --verbose` prints it for a student: loaded by the simulator through its
// client seam (`RunConfig.client`), it hands every attempt line to the sink a
// test installs under ATTEMPT_LOG_SINK.
import { KvClient, type ClientOptions } from "@dslab/client";

export const ATTEMPT_LOG_SINK = Symbol.for("dslab.grader.test.attempt-log-sink");

type Sink = (line: string) => void;

export function createClient(options: ClientOptions): KvClient {
  const sink = (globalThis as { [ATTEMPT_LOG_SINK]?: Sink })[ATTEMPT_LOG_SINK];
  return new KvClient({
    ...options,
    onAttempt: (record, line) => {
      sink?.(line);
      options.onAttempt?.(record, line);
    },
  });
}
