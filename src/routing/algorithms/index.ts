import { RoutingContext } from "../context";
import { Evaluation } from "../evaluate";
import { qosr } from "./qosr";
import { qtdr } from "./qtdr";
import { qtdrLs } from "./qtdrLs";
import { radbmm } from "./radbmm";
import { sp } from "./sp";

/** A routing algorithm: demands in the context, one evaluated routing out. */
export interface AlgorithmSpec {
  run: (ctx: RoutingContext) => Evaluation;
  /** Whether it relies on the generator election (its runtime then includes the election's). */
  usesElection: boolean;
}

export const ALGORITHMS = {
  "QT-DR": { run: qtdr, usesElection: true },
  "QoS-R": { run: qosr, usesElection: true },
  "RA-DBMM": { run: radbmm, usesElection: true },
  SP: { run: sp, usesElection: false },
  "QT-DR+LS": { run: (ctx) => qtdrLs(ctx), usesElection: true },
} satisfies Record<string, AlgorithmSpec>;

export type AlgorithmName = keyof typeof ALGORITHMS;

export const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as AlgorithmName[];

/** The four algorithms of P003/P000, in the order results are reported. */
export const DEFAULT_ALGORITHMS: readonly AlgorithmName[] = ["QT-DR", "QoS-R", "RA-DBMM", "SP"];

/** Resolves names case-insensitively (`qt-dr`, `QTDR`, `sp`), naming any unknown one. */
export function parseAlgorithmNames(list: string | readonly string[]): AlgorithmName[] {
  const items = typeof list === "string" ? list.split(",") : list;
  const key = (s: string): string => s.toLowerCase().replace(/[^a-z0-9+]/g, "");
  return items
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => {
      const name = ALGORITHM_NAMES.find((n) => key(n) === key(s));
      if (!name) throw new RangeError(`unknown algorithm "${s}": choose from ${ALGORITHM_NAMES.join(", ")}`);
      return name;
    });
}
