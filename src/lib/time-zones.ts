/** A moment's wall-clock fields in an IANA time zone, two digits each (the year four), 24-hour. */
export interface WallClock {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
}

const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

/** `at` as read on a clock in `timeZone` (formatters are cached per zone: building one costs far more than using it). */
export function wallClock(at: Date, timeZone: string): WallClock {
  let formatter = FORMATTERS.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    FORMATTERS.set(timeZone, formatter);
  }
  const p = Object.fromEntries(formatter.formatToParts(at).map((part) => [part.type, part.value]));
  return { year: p.year!, month: p.month!, day: p.day!, hour: p.hour!, minute: p.minute!, second: p.second! };
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
