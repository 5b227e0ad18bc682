/** Display helpers: short hashes, UTC times, safe text. */

/** 0x1234…abcd: enough to tell hashes apart in a table; the full value goes in a title attribute. */
export function shortHex(hex: string, head = 6, tail = 4): string {
  return hex.length <= head + tail + 3 ? hex : `${hex.slice(0, head)}…${hex.slice(-tail)}`;
}

/** Unix seconds as "2026-01-01 00:15:00" (UTC). */
export function utc(seconds: number | bigint): string {
  return new Date(Number(seconds) * 1000)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "");
}

/** A UTC window "2026-01-01 00:00 – 00:15" (the end's date is shown only when it differs). */
export function utcWindow(start: number | bigint, end: number | bigint): string {
  const a = utc(start);
  const b = utc(end);
  const sameDay = a.slice(0, 10) === b.slice(0, 10);
  return `${a.slice(0, 16)} – ${sameDay ? b.slice(11, 16) : b.slice(0, 16)}`;
}

/** An element with text content (never innerHTML with data). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; title?: string; data?: Record<string, string> } = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title) node.title = props.title;
  for (const [k, v] of Object.entries(props.data ?? {})) node.dataset[k] = v;
  for (const child of children) node.append(child);
  return node;
}

/** A hash shown short, full on hover and copied on click. */
export function hashCell(hex: string, head?: number, tail?: number): HTMLElement {
  const span = el("span", { className: "mono hash", text: shortHex(hex, head, tail), title: `${hex} (click to copy)` });
  span.addEventListener("click", () => void navigator.clipboard?.writeText(hex).catch(() => undefined));
  return span;
}

/** JSON values in a diff cell. */
export function show(value: unknown): string {
  return value === undefined ? "—" : JSON.stringify(value);
}
