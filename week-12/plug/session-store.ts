/**
 * Placeholder: the reference session table until the workbook's tracker is
 * plugged in here.
 */
import type { SessionStoreFactory } from "@dslab/cluster";
import type { Workbook } from "../checks/types.js";

export async function sessionStoreFor(_workbook: Workbook): Promise<SessionStoreFactory | undefined> {
  return undefined;
}
