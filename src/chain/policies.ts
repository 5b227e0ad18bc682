import { DataType, TriggerMode, type Policy } from "./types";

/**
 * GridLedger's default acquisition policies (P003: Δt, n, δ, trigger), set by `grid:deploy` for types that
 * have none. Readings and power transactions arrive in 15-minute frames (96 a day, P003 experiments);
 * events (switching commands, protection trips) are anchored on demand within the hour.
 */
const FIFTEEN_MINUTE_FRAMES: Policy = {
  tolerance: 900,
  timeScale: 900,
  maxRecords: 1_000_000,
  sensorCount: 0,
  trigger: TriggerMode.TimeDriven,
  enabled: true,
};

export const DEFAULT_POLICIES: Record<number, Policy> = {
  [DataType.Reading]: { ...FIFTEEN_MINUTE_FRAMES },
  [DataType.Transaction]: { ...FIFTEEN_MINUTE_FRAMES },
  [DataType.Event]: {
    tolerance: 3_600,
    timeScale: 3_600,
    maxRecords: 100_000,
    sensorCount: 0,
    trigger: TriggerMode.EventDriven,
    enabled: true,
  },
};

/** Reads a contract policy tuple into a plain Policy. */
export function toPolicy(p: {
  tolerance: bigint;
  timeScale: bigint;
  maxRecords: bigint;
  sensorCount: bigint;
  trigger: bigint;
  enabled: boolean;
}): Policy {
  return {
    tolerance: Number(p.tolerance),
    timeScale: Number(p.timeScale),
    maxRecords: Number(p.maxRecords),
    sensorCount: Number(p.sensorCount),
    trigger: Number(p.trigger),
    enabled: p.enabled,
  };
}
