/**
 * The payload schema of each data type TY. A records file is checked against the schema of the type it is
 * anchored as, so a reading whose value is "abc", "NaN" or empty is refused at the door instead of being anchored
 * as a string. Numbers stay exact: a value a double cannot hold is carried as a decimal string, never rounded.
 */
import { z } from "zod";
import { DataType } from "../chain/types";

/** A decimal written as a string: how values beyond a double's precision travel exactly. */
export const DECIMAL_STRING = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** A measured or priced quantity: a finite JSON number, or a decimal string for values beyond 2^53. */
export const quantitySchema = z.unknown().superRefine((v, ctx) => {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) ctx.addIssue({ code: "custom", message: `${v} is not a number` });
    else if (Number.isInteger(v) && !Number.isSafeInteger(v))
      ctx.addIssue({ code: "custom", message: `${v} is beyond 2^53 and not exact: give it as a decimal string` });
    return;
  }
  if (typeof v === "string") {
    if (v.trim() === "") ctx.addIssue({ code: "custom", message: "empty: a number is required" });
    else if (!DECIMAL_STRING.test(v)) ctx.addIssue({ code: "custom", message: `not a number: ${JSON.stringify(v)}` });
    return;
  }
  const got = v === undefined ? "missing" : `expected a number, got ${v === null ? "null" : typeof v}`;
  ctx.addIssue({ code: "custom", message: got });
});

const text = z.string({ error: (iss) => (iss.input === undefined ? "missing" : "expected text") });
const required = text.refine((s) => s.trim() !== "", "empty: required");
const isoTime = text.regex(ISO_WITH_ZONE, "expected an ISO 8601 time with a zone (Z or +hh:mm)");

/** Descriptive fields a reading or event may carry; every other field is a quantity. */
const describing = {
  recordId: text.optional(),
  quantity: text.optional(),
  unit: text.optional(),
  sensor: text.optional(),
  phase: text.optional(),
  quality: text.optional(),
  dataTime: isoTime.optional(),
};

const atLeastOneQuantity = (payload: Record<string, unknown>, fixed: readonly string[]) =>
  Object.keys(payload).some((k) => !fixed.includes(k));

const readingSchema = z
  .object(describing)
  .catchall(quantitySchema)
  .refine((p) => atLeastOneQuantity(p, Object.keys(describing)), "a reading needs at least one measured value");

const transactionSchema = z.strictObject({
  recordId: text.optional(),
  seller: required,
  buyer: required,
  kwh: quantitySchema,
  priceEurMwh: quantitySchema.optional(),
  amountEur: quantitySchema.optional(),
  frameStart: isoTime.optional(),
  frameEnd: isoTime.optional(),
});

const eventSchema = z
  .object({
    ...describing,
    event: required,
    severity: text.optional(),
    device: text.optional(),
    detail: text.optional(),
  })
  .catchall(quantitySchema);

export interface PayloadSchema {
  name: string;
  /** What the payload holds, for messages and docs. */
  summary: string;
  schema: z.ZodType;
}

/** The payload schema of each well-known data type; other configured types take any plain JSON payload. */
export const PAYLOAD_SCHEMAS: Readonly<Record<number, PayloadSchema>> = {
  [DataType.Reading]: {
    name: "reading",
    summary: `measured values as numbers; text only in ${Object.keys(describing).join(", ")}`,
    schema: readingSchema,
  },
  [DataType.Transaction]: {
    name: "power transaction",
    summary: "seller, buyer, kwh and optional recordId, priceEurMwh, amountEur, frameStart, frameEnd",
    schema: transactionSchema,
  },
  [DataType.Event]: {
    name: "event",
    summary: "an event name, optional text (recordId, severity, device, detail, dataTime) and numbers",
    schema: eventSchema,
  },
};

export interface PayloadIssue {
  /** The field path inside the payload ("" for the payload itself). */
  field: string;
  message: string;
}

/** The first ways a payload does not match its data type's schema (empty when it matches or the type has none). */
export function payloadIssues(dataType: number, payload: unknown): PayloadIssue[] {
  const entry = PAYLOAD_SCHEMAS[dataType];
  if (!entry) return [];
  const r = entry.schema.safeParse(payload);
  if (r.success) return [];
  return r.error.issues.map((i) => {
    const field = i.path.map(String).join(".");
    const message =
      i.code === "unrecognized_keys"
        ? `unknown field(s) ${i.keys.join(", ")}: a ${entry.name} payload has ${entry.summary}`
        : i.message;
    return { field: i.code === "unrecognized_keys" ? i.keys[0] : field, message };
  });
}
