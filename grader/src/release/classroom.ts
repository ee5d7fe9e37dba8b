/**
 * The GitHub Classroom workflow of the student release
 * (`.github/workflows/classroom.yml`): one
 * `classroom-resources/autograding-command-grader@v1` step per lesson,
 * running `npm run check -- --lesson <short>` (a zero exit passes the
 * lesson and earns its max score, the lesson's XP), then
 * `classroom-resources/autograding-grading-reporter@v1`, which reads each
 * grader step's `result` output (base64 JSON) from the environment variable
 * `<STEP ID IN CAPITALS>_RESULTS` for every id in its `runners` input.
 */
import { stringify } from "yaml";

export interface ReleaseLesson {
  id: string;
  title: string;
  /** The `--lesson` name that picks this lesson alone (`retry`). */
  short: string;
  /** The lesson's XP (or points): what passing it is worth. */
  maxScore: number;
}

/** Minutes each lesson's step may take, `npm ci` included. */
export const STEP_TIMEOUT_MINUTES = 10;

/** A step id GitHub accepts (letters, digits, `_`, `-`, starting with a letter) that is also a plain environment variable name once in capitals. */
export function stepId(short: string): string {
  return `check_${short.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "")}`;
}

/** The reporter's environment variable for a step: the action reads `${runner.toUpperCase()}_RESULTS`. */
export function resultsVariable(id: string): string {
  return `${id.toUpperCase()}_RESULTS`;
}

export function classroomWorkflow(lessons: readonly ReleaseLesson[]): string {
  const ids = lessons.map((l) => stepId(l.short));
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate !== undefined) throw new Error(`two lessons share the step id ${duplicate}; their short names must differ`);
  const graders = lessons.map((l, i) => ({
    name: `${l.title} (${l.short})`,
    id: ids[i]!,
    uses: "classroom-resources/autograding-command-grader@v1",
    with: {
      "test-name": l.title,
      "setup-command": "npm ci",
      command: `npm run check -- --lesson ${l.short}`,
      timeout: STEP_TIMEOUT_MINUTES,
      "max-score": l.maxScore,
    },
  }));
  const workflow = {
    name: "Autograding Tests",
    on: ["push", "workflow_dispatch", "repository_dispatch"],
    permissions: { checks: "write", actions: "read", contents: "read" },
    jobs: {
      "run-autograding-tests": {
        "runs-on": "ubuntu-latest",
        if: "github.actor != 'github-classroom[bot]'",
        steps: [
          { name: "Checkout code", uses: "actions/checkout@v4" },
          { name: "Set up Node 20", uses: "actions/setup-node@v4", with: { "node-version": 20 } },
          ...graders,
          {
            name: "Autograding Reporter",
            uses: "classroom-resources/autograding-grading-reporter@v1",
            env: Object.fromEntries(ids.map((id) => [resultsVariable(id), `\${{ steps.${id}.outputs.result }}`])),
            with: { runners: ids.join(",") },
          },
        ],
      },
    },
  };
  const header = [
    "# GitHub Classroom autograding: one step per lesson runs `npm run check -- --lesson <name>`;",
    "# a lesson whose criteria all pass earns its XP. The reporter collects every step's result.",
    "# Written by `grader release`; edit the lessons, not this file.",
  ].join("\n");
  return `${header}\n${stringify(workflow, { lineWidth: 0 })}`;
}
