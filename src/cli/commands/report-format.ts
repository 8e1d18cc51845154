import type { Env } from '../../config.ts';
import type { TextOutput } from '../deps.ts';

/**
 * How reports for people (`status`, `doctor`) read: times relative and local, colour only on a
 * terminal and never with NO_COLOR. Pure, apart from the local time zone.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY_MS = 24 * HOUR;

/** `in 4 min`, `3 days ago`, `just now`: the distance from `now` to `at`, rounded down. */
export function relativeTime(at: number, now: number): string {
  const distance = Math.abs(at - now);
  let amount: string;
  if (distance < 1000) return 'just now';
  if (distance < MINUTE) amount = `${Math.floor(distance / 1000)} s`;
  else if (distance < HOUR) amount = `${Math.floor(distance / MINUTE)} min`;
  else if (distance < 2 * DAY_MS) amount = `${Math.floor(distance / HOUR)} h`;
  else amount = `${Math.floor(distance / DAY_MS)} days`;
  return at > now ? `in ${amount}` : `${amount} ago`;
}

/** The same for an ISO 8601 instant; `unknown` for null or an unreadable one. */
export function relativeIso(iso: string | null | undefined, now: number): string {
  const at = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(at) ? 'unknown' : relativeTime(at, now);
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Wed 9 Dec 2026, 14:03` in the local time zone. */
export function localDateTime(at: number): string {
  const d = new Date(at);
  const time = `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
  return `${WEEKDAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}, ${time}`;
}

/** `2026-12-09`: the local calendar date. */
export function localDate(at: number): string {
  const d = new Date(at);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * Calendar days from `now`'s local date to `at`'s: 0 = the same day, 1 = tomorrow. So a lifetime
 * of 90 days, seen a moment after it began, is 90, not 89.
 */
export function calendarDaysUntil(at: number, now: number): number {
  const midnight = (ms: number) => {
    const d = new Date(ms);
    return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate());
  };
  return Math.round((midnight(at) - midnight(now)) / DAY_MS);
}

export interface Paint {
  ok(text: string): string;
  bad(text: string): string;
  warn(text: string): string;
  bold(text: string): string;
  dim(text: string): string;
}

/** Colour only when `out` is a terminal, NO_COLOR is unset or empty, and TERM is not `dumb`. */
export function paintFor(out: TextOutput, env: Env): Paint {
  const on = out.isTTY && !env.NO_COLOR && env.TERM !== 'dumb';
  const sgr = (code: string) => (text: string) => (on ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { ok: sgr('32'), bad: sgr('31'), warn: sgr('33'), bold: sgr('1'), dim: sgr('2') };
}
