/** TypeScript mirrors of the contracts' structs and enums (see contracts/interfaces). */

export const TerminalKind = { SmartMeter: 0, FTU: 1, TTU: 2, PMU: 3, Other: 4 } as const;
export type TerminalKindName = keyof typeof TerminalKind;
export const TERMINAL_KIND_NAMES = Object.keys(TerminalKind) as TerminalKindName[];

export const TerminalStatus = { Unregistered: 0, Active: 1, Suspended: 2, Revoked: 3 } as const;
export type TerminalStatusName = keyof typeof TerminalStatus;
export const TERMINAL_STATUS_NAMES = Object.keys(TerminalStatus) as TerminalStatusName[];

export const TriggerMode = { TimeDriven: 0, EventDriven: 1 } as const;
export type TriggerModeName = keyof typeof TriggerMode;

export interface Location {
  /** bytes32: a case or feeder id (e.g. the UTF-8 of "ieee39", right-padded). */
  gridId: string;
  bus: number;
  /** bytes12: a geohash (ASCII, right-padded) or zero. */
  geohash: string;
}

export interface Policy {
  /** Δt seconds. */
  tolerance: number;
  /** δ seconds. */
  timeScale: number;
  maxRecords: number;
  sensorCount: number;
  trigger: number;
  enabled: boolean;
}

export interface BatchHeader {
  dataType: number;
  terminalId: string;
  sequence: bigint;
  windowStart: bigint;
  windowEnd: bigint;
  recordCount: number;
  merkleRoot: string;
  prevHeaderHash: string;
}

/** Well-known data types TY used by GridLedger's own flows; any uint16 may be configured. */
export const DataType = { Reading: 1, Transaction: 2, Event: 3 } as const;

/** DataNameRegistry: what a name points at (IDataNameRegistry.TargetKind). */
export const TargetKind = { None: 0, Terminal: 1, Batch: 2, Dataset: 3, MetadataURI: 4 } as const;
export type TargetKindName = keyof typeof TargetKind;
export const TARGET_KIND_NAMES = Object.keys(TargetKind) as TargetKindName[];

/** DataSharing: how a dataset selects anchored data (IDataSharing.DatasetKind). */
export const DatasetKind = { Batches: 0, Stream: 1 } as const;
export type DatasetKindName = keyof typeof DatasetKind;
export const DATASET_KIND_NAMES = Object.keys(DatasetKind) as DatasetKindName[];

/** DataSharing: what a provider authorisation covers, one terminal or a grid (IDataSharing.Scope). */
export const ProviderScope = { Terminal: 0, Grid: 1 } as const;
export type ProviderScopeName = keyof typeof ProviderScope;
