/**
 * The ids of the lessons the workbook serves, as the lessons' front-matter
 * spells them. A criterion is `<lesson id>#<n>`, n its row in the lesson's
 * pass-criteria table.
 */
export const LESSON = {
  idempotentWrites: "w11-l04",
  voteRules: "w12-leader-election-client-idempotency-d02-quest-vote-rules-2h",
  clientRetry: "w12-leader-election-client-idempotency-d03-quest-client-retry-idempotency-2h",
  dedupStore: "w12-leader-election-client-idempotency-d04-quest-dedup-store-2h",
  idempotencyKeys: "w12-leader-election-client-idempotency-d05-quest-idempotency-keys-2h",
} as const;

export function criterion(lesson: string, n: number): `${string}#${number}` {
  return `${lesson}#${n}`;
}
