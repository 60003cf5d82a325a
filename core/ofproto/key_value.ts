// The key/value tokenizer of every OpenFlow text syntax (flows, matches, actions' arguments), as
// upstream's ofputil_parse_key_value: items separated by commas or blanks, "key=value",
// "key:value" or "key(value)" with nested parentheses kept inside the value, a bare key with an
// empty value, and the "(x)->y" special case. Pure; never fails (bad items are the callers').

export interface KeyValue {
  key: string;
  /** The value, or "" for a bare key. */
  value: string;
  /** Whether the key was followed by '=', ':' or '(' (a value was given, perhaps empty). */
  hasValue: boolean;
}

const isItemSpace = (c: string | undefined) =>
  c === "," || c === " " || c === "\t" || c === "\r" || c === "\n";

function parseValue(s: string, start: number, delimiters: string): number {
  let n = start;
  while (n < s.length && !delimiters.includes(s[n]!)) {
    if (s[n] === "(") {
      let level = 0;
      do {
        if (n >= s.length) return n;
        if (s[n] === "(") level++;
        else if (s[n] === ")") level--;
        n++;
      } while (level > 0);
    } else {
      n++;
    }
  }
  return n;
}

/**
 * The next item of `s` at `pos`: the item and the position after it, or undefined when only
 * blanks and commas remain.
 */
export function nextKeyValue(s: string, pos: number): { item: KeyValue; next: number } | undefined {
  let i = pos;
  while (i < s.length && isItemSpace(s[i])) i++;
  if (i >= s.length) return undefined;
  let keyEnd = i;
  while (keyEnd < s.length && !":=(, \t\r\n".includes(s[keyEnd]!)) keyEnd++;
  const key = s.slice(i, keyEnd);
  const delim = s[keyEnd];
  let next = keyEnd + (delim !== undefined ? 1 : 0);
  let delimiters: string;
  if (delim === ":" || delim === "=") {
    delimiters = ", \t\r\n";
  } else if (delim === "(") {
    delimiters = ")";
  } else {
    return { item: { key, value: "", hasValue: false }, next };
  }
  const valueStart = next;
  let valueEnd = parseValue(s, valueStart, delimiters);
  if (delim === "(" && s[valueEnd] === ")" && s[valueEnd + 1] === "-" && s[valueEnd + 2] === ">") {
    valueEnd = parseValue(s, valueEnd, ", \t\r\n");
  }
  const value = s.slice(valueStart, valueEnd);
  next = valueEnd + (valueEnd < s.length ? 1 : 0);
  return { item: { key, value, hasValue: true }, next };
}

/** Every item of `s`. */
export function parseKeyValues(s: string): KeyValue[] {
  const items: KeyValue[] = [];
  let pos = 0;
  for (;;) {
    const r = nextKeyValue(s, pos);
    if (!r) return items;
    items.push(r.item);
    pos = r.next;
  }
}
