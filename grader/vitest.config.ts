import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "grader",
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    // The fixture repository's tests are read by `grader lint`, not run.
    exclude: [...configDefaults.exclude, "test/fixtures/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
