// Imported once by load.ts: when this loads, TypeScript modules can be imported in this process.
export const TYPESCRIPT_LOADS = true;
