/**
 * With engine 'auto', once StartMediaAnalysisJob has been refused, the container's next manifests
 * go per image straight away: each would otherwise spend one refused call of the 5-a-second start
 * quota. The memory expires, so a permission granted meanwhile is noticed within minutes.
 */
export const REMEMBER_REFUSAL_MS = 15 * 60 * 1000;

let refusal: { readonly reason: string; readonly until: number } | undefined;

/** The fallback reason of a refusal seen in the last 15 minutes, if any. */
export function rememberedRefusal(now = Date.now()): string | undefined {
  return refusal !== undefined && now < refusal.until ? refusal.reason : undefined;
}

export function rememberRefusal(reason: string, now = Date.now()): void {
  refusal = { reason, until: now + REMEMBER_REFUSAL_MS };
}

/** For tests: a fresh container. */
export function forgetRefusal(): void {
  refusal = undefined;
}
