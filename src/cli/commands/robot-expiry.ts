import { calendarDaysUntil, localDate } from './report-format.ts';

/** Robots expiring within this many days get a warning (`robot list`, `export-k8s`). */
export const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

export interface ExpiryNote {
  /** `2025-03-01 (in 90 days)`, `2025-03-01 (expired)` or `never`; dates local. */
  text: string;
  expired: boolean;
  /** Not expired, and expires within EXPIRY_WARNING_DAYS. */
  soon: boolean;
}

/**
 * How a robot's expiry (ms since the epoch, null = never) reads at `now`. Days count calendar
 * days in the local time zone: a robot made for 1 day expires "in 1 day" (tomorrow), one made for
 * 90 days "in 90 days"; "today" only when it expires before midnight. Pure but for the time zone.
 */
export function expiryNote(expiresAt: number | null, now: number): ExpiryNote {
  if (expiresAt === null) return { text: 'never', expired: false, soon: false };
  const date = localDate(expiresAt);
  if (expiresAt <= now) return { text: `${date} (expired)`, expired: true, soon: false };
  const days = calendarDaysUntil(expiresAt, now);
  const left = days <= 0 ? 'today' : days === 1 ? 'in 1 day' : `in ${days} days`;
  return { text: `${date} (${left})`, expired: false, soon: expiresAt - now <= EXPIRY_WARNING_DAYS * DAY_MS };
}
