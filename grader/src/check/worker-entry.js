// @ts-check
// The thread `grader check` runs its checks on (isolate.ts starts it). A
// worker does not inherit the loader hooks of the thread that starts it, so
// this plain JavaScript entry registers tsx's loader before the TypeScript side.
import { register } from "tsx/esm/api";

register();
await import("./worker.ts");
