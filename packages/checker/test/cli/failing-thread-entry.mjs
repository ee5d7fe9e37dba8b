// What the worker threads of failing-thread.ts run: its TypeScript through tsx, as the command's launcher runs the sources.
const { register } = await import("tsx/esm/api");
register();
await import("./failing-thread.ts");
