/** Running untrusted submissions: limits, a private directory, and a result that always comes back. */
export { runSandboxed, SandboxError, TRUNCATION_MARKER, MARKER_VARIABLE, type SandboxLimit, type SandboxLimits, type SandboxOptions, type SandboxResult } from "./run.js";
export { detectCapabilities, describeMechanisms, DEFAULT_SANDBOX_UID, DEFAULT_SANDBOX_GID, type SandboxCapabilities } from "./detect.js";
export { createSandboxLayout, readableBy, type SandboxLayout, type SandboxLayoutOptions } from "./layout.js";
