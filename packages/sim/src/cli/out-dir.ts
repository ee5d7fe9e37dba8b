/**
 * `--out DIR` is checked before anything is simulated (created one level at a
 * time, a file written and removed, no output name taken by a directory or a
 * FIFO): the shared check of every dslab command that writes outputs.
 */
export { prepareOutDir, removeCreatedDirs } from "@dslab/protocol/cli";
