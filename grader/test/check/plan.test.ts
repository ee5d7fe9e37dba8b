/**
 * How `grader check` orders the workbook's lessons and names them: by
 * prerequisites then order, and by a piece of id or title that names one
 * lesson alone.
 */
import { describe, expect, test } from "vitest";
import { UsageError } from "@dslab/protocol/cli";
import { lessonsMatching, orderByPrerequisites, selectLessons, shortName, type PlannedLesson } from "../../src/check/plan.js";
import type { Lesson } from "../../src/lesson/model.js";
import { coursePlan } from "./helpers.js";

const W12 = "w12-leader-election-client-idempotency";
const COURSE = [
  { id: `${W12}-d05-quest-idempotency-keys-2h`, part: W12, title: "Quest: Idempotency Keys over HTTP", order: 5, prereqs: [`${W12}-d04-quest-dedup-store-2h`] },
  { id: `${W12}-d02-quest-vote-rules-2h`, part: W12, title: "Quest: Vote Rules", order: 2, prereqs: ["w11-l04"] },
  { id: `${W12}-d04-quest-dedup-store-2h`, part: W12, title: "Quest: Server-Side Dedup Store", order: 4, prereqs: [`${W12}-d03-quest-client-retry-idempotency-2h`] },
  { id: "w11-l04", part: "w11", title: "Idempotent writes", order: 4, prereqs: [] },
  { id: `${W12}-d03-quest-client-retry-idempotency-2h`, part: W12, title: "Quest: Client Retry + Idempotency", order: 3, prereqs: [`${W12}-d02-quest-vote-rules-2h`] },
];

const planned = (ls: typeof COURSE): PlannedLesson[] => ls.map((l) => ({ lesson: l as unknown as Lesson, short: shortName(l, ls), criteria: [] }));

describe("grader check: lesson order and names", () => {
  test("prerequisites come first even when their order is higher; unrelated lessons by order, then id", () => {
    expect(orderByPrerequisites(COURSE).map((l) => l.id.replace(`${W12}-`, ""))).toEqual([
      "w11-l04",
      "d02-quest-vote-rules-2h",
      "d03-quest-client-retry-idempotency-2h",
      "d04-quest-dedup-store-2h",
      "d05-quest-idempotency-keys-2h",
    ]);
    const free = [
      { id: "b", order: 2, prereqs: [] },
      { id: "a", order: 2, prereqs: ["missing"] },
      { id: "c", order: 1, prereqs: [] },
    ];
    expect(orderByPrerequisites(free).map((l) => l.id)).toEqual(["c", "a", "b"]);
  });

  test("the course's plan holds every lesson the checked ones need first, transitively (w11-l04, then the intro, then the days), and the intro's criterion is met by the run itself", async () => {
    const plan = await coursePlan();
    expect(plan.lessons.map((l) => l.short)).toEqual(["w11", "intro", "vote", "retry", "dedup", "keys"]);
    const intro = plan.lessons[1]!;
    expect(intro.lesson.prereqs).toEqual(["w11-l04"]);
    expect(intro.criteria.map((c) => [c.check, c.byRun])).toEqual([[undefined, true]]);
    expect(plan.lessons.flatMap((l) => l.criteria).filter((c) => c.byRun).map((c) => c.criterion.id)).toEqual([`${W12}-d01-intro#1`]);
  });

  test("a prerequisite cycle does not hang: its lessons come last, by order", () => {
    const cycle = [
      { id: "x", order: 2, prereqs: ["y"] },
      { id: "y", order: 1, prereqs: ["x"] },
      { id: "z", order: 9, prereqs: [] },
    ];
    expect(orderByPrerequisites(cycle).map((l) => l.id)).toEqual(["z", "y", "x"]);
  });

  test("each lesson's short name is a word of its id that names it alone", () => {
    expect(COURSE.map((l) => shortName(l, COURSE))).toEqual(["keys", "vote", "dedup", "w11", "retry"]);
  });

  test("a query is the exact id, or a case-insensitive piece of one id or title", () => {
    expect(lessonsMatching("w11-l04", COURSE).map((l) => l.id)).toEqual(["w11-l04"]);
    expect(lessonsMatching("RETRY", COURSE)).toHaveLength(1);
    expect(lessonsMatching("http", COURSE).map((l) => l.title)).toEqual(["Quest: Idempotency Keys over HTTP"]);
  });

  test("the part of the id every lesson of the week shares names none of them; the titles and the rest of the ids do", () => {
    const shorts = (q: string) => lessonsMatching(q, COURSE).map((l) => shortName(l, COURSE));
    expect(shorts("election")).toEqual([]);
    expect(shorts("leader")).toEqual([]);
    expect(shorts("client")).toEqual(["retry"]);
    expect(shorts("idempotency")).toEqual(["keys", "retry"]);
    expect(shorts("w11")).toEqual(["w11"]);
  });

  test("--lesson takes repeated values and comma lists, and keeps the course's order", () => {
    const lessons = planned(orderByPrerequisites(COURSE));
    expect(selectLessons(["keys,vote", "w11"], lessons).map((l) => l.short)).toEqual(["w11", "vote", "keys"]);
  });

  test("an ambiguous or unknown --lesson is a usage error that lists the candidates or the near name", () => {
    const lessons = planned(orderByPrerequisites(COURSE));
    expect(() => selectLessons(["idempotency"], lessons)).toThrow(UsageError);
    expect(() => selectLessons(["idempotency"], lessons)).toThrow(/names 2 lessons: retry \(Quest: Client Retry \+ Idempotency\), keys \(Quest: Idempotency Keys over HTTP\); give one of them/);
    expect(() => selectLessons(["retyr"], lessons)).toThrow(/names no lesson of the workbook \(did you mean retry\?\); the lessons: w11 \(Idempotent writes\), vote/);
  });
});
