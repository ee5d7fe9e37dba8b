import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "checker",
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
