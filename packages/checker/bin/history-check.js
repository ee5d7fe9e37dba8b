#!/usr/bin/env node
// Runs the TypeScript source through tsx, so the command works straight after
// `npm install` with no build step.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/history-check.ts");
