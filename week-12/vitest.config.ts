import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    name: "week-12",
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
