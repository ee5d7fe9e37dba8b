// Which review is due when: fixed days after the completion, or adaptive
// (FSRS) from the ratings, with the lesson's first fixed day as the first interval.
import { createEmptyCard, fsrs, Rating, type Card, type Grade } from "ts-fsrs";
import type { Lesson } from "../lesson/model.js";
import type { Completion, RatingName, RowProblem } from "./completions.js";
import { dateToDay, dayToDate, formatIsoDate, parseIsoDate } from "./dates.js";

/** 9999-12-31: the last day a four-digit ISO date, and so a calendar's DATE, can name. */
export const LAST_DAY = parseIsoDate("9999-12-31")!;

export interface PlannedReview {
  student: string;
  lesson: Lesson;
  /** 1-based review number (fixed mode), or the number of the next review (FSRS). */
  review: number;
  day: number;
  /** Stable key of this review, used for the iCalendar UID. */
  key: string;
  /** FSRS only: the card after the last rating, for reports. */
  fsrs?: { stability: number; difficulty: number; reps: number; lapses: number };
}

export interface Plan {
  reviews: PlannedReview[];
  warnings: RowProblem[];
}

function groups(rows: readonly Completion[]): Completion[][] {
  const map = new Map<string, Completion[]>();
  for (const r of rows) {
    const key = `${r.student}\u0000${r.lesson.id}`;
    const list = map.get(key);
    if (list) list.push(r);
    else map.set(key, [r]);
  }
  // Oldest first; the file order breaks ties.
  return [...map.values()].map((g) => [...g].sort((a, b) => a.day - b.day || a.line - b.line));
}

export function fixedPlan(rows: readonly Completion[]): Plan {
  const reviews: PlannedReview[] = [];
  const warnings: RowProblem[] = [];
  for (const group of groups(rows)) {
    const first = group[0]!;
    for (const again of group.slice(1)) {
      warnings.push({ line: again.line, message: `line ${again.line}: ${again.student} completed ${again.lesson.id} again; fixed reviews count from the first completion (line ${first.line})` });
    }
    if (first.lesson.reviewScheduleDays.length === 0) {
      warnings.push({ line: first.line, message: `line ${first.line}: lesson ${first.lesson.id} has no review_schedule_days; nothing to schedule` });
    }
    first.lesson.reviewScheduleDays.forEach((d, i) => {
      if (first.day + d > LAST_DAY) {
        warnings.push({ line: first.line, message: `line ${first.line}: review ${i + 1} of ${first.lesson.id} by ${first.student} would fall ${d} days after ${formatIsoDate(first.day)}, after ${formatIsoDate(LAST_DAY)}; not scheduled` });
        return;
      }
      reviews.push({ student: first.student, lesson: first.lesson, review: i + 1, day: first.day + d, key: `review-${i + 1}` });
    });
  }
  return { reviews: sortReviews(reviews), warnings };
}

const GRADES: Record<RatingName, Grade> = { again: Rating.Again, hard: Rating.Hard, good: Rating.Good, easy: Rating.Easy };

/**
 * FSRS: the first row of a (student, lesson) is the completion, each later row
 * a review with its rating. The completion's rating (good when absent) seeds
 * the card; its first interval is the lesson's first fixed day. Each review's
 * rating then moves the next due date. One event per (student, lesson): the next review.
 */
export function fsrsPlan(rows: readonly Completion[]): Plan {
  // No fuzz: the same ratings always give the same dates. Whole days only.
  const scheduler = fsrs({ enable_fuzz: false, enable_short_term: false });
  const reviews: PlannedReview[] = [];
  const warnings: RowProblem[] = [];
  for (const group of groups(rows)) {
    const first = group[0]!;
    const last = group.at(-1)!;
    const tooLate = (day: number): boolean => {
      // A due date past what a Date can hold is NaN here, and too late as well.
      if (day <= LAST_DAY) return false;
      warnings.push({ line: last.line, message: `line ${last.line}: the next review of ${first.lesson.id} by ${first.student} would fall after ${formatIsoDate(LAST_DAY)}; not scheduled` });
      return true;
    };
    let card: Card = createEmptyCard(dayToDate(first.day));
    card = scheduler.next(card, dayToDate(first.day), GRADES[first.rating ?? "good"]).card;
    const firstInterval = first.lesson.reviewScheduleDays[0];
    if (firstInterval !== undefined) {
      if (tooLate(first.day + firstInterval)) continue;
      card = { ...card, due: dayToDate(first.day + firstInterval), scheduled_days: firstInterval };
    }
    for (const r of group.slice(1)) {
      if (!r.rating) warnings.push({ line: r.line, message: `line ${r.line}: review of ${r.lesson.id} by ${r.student} has no rating; counted as good` });
      card = scheduler.next(card, dayToDate(r.day), GRADES[r.rating ?? "good"]).card;
    }
    if (tooLate(dateToDay(card.due))) continue;
    reviews.push({
      student: first.student, lesson: first.lesson, review: group.length, day: dateToDay(card.due), key: "next-review",
      fsrs: { stability: card.stability, difficulty: card.difficulty, reps: card.reps, lapses: card.lapses },
    });
  }
  return { reviews: sortReviews(reviews), warnings };
}

function sortReviews(reviews: PlannedReview[]): PlannedReview[] {
  return reviews.sort((a, b) =>
    a.student !== b.student ? (a.student < b.student ? -1 : 1)
    : a.day !== b.day ? a.day - b.day
    : a.lesson.id !== b.lesson.id ? (a.lesson.id < b.lesson.id ? -1 : 1)
    : a.review - b.review,
  );
}
