import { defineConfig } from "vitest/config";

// One vitest run at the root covers every workspace; `npm test` runs the
// same suites package by package through turbo.
export default defineConfig({
  test: {
    projects: ["packages/*", "grader", "week-12"],
  },
});
