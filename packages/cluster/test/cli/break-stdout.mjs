// Test-only preload (`node --import`): makes the process's stdout throw, the
// way a bug inside a command would. The product has no switch for this; the
// failing dependency is injected from outside.
process.stdout.write = () => {
  throw new TypeError("injected: stdout broke");
};
