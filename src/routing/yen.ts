import { FoundPath, PathSearch, SearchRequest } from "./search";

interface Candidate extends FoundPath {
  /** Index of the first node after the shared root: Lawler's rule spurs only from here on. */
  deviation: number;
}

/**
 * Yen's K shortest loopless paths (with Lawler's deviation-index saving) from `req.source` to
 * `req.target` under `req.weight`, best first. A hop budget in `req` bounds every path; each spur
 * search gets the budget left after its root.
 */
export function kShortestPaths(search: PathSearch, req: SearchRequest, K: number): FoundPath[] {
  search.clearBlocks();
  const first = search.find(req);
  if (!first) return [];
  const accepted: Candidate[] = [{ ...first, deviation: 0 }];
  const pending: Candidate[] = [];
  const seen = new Set<string>([first.nodes.join(",")]);
  const budget = req.hopBudget ?? Infinity;
  while (accepted.length < K) {
    const prev = accepted[accepted.length - 1];
    let rootCost = 0;
    for (let i = 0; i < prev.deviation; i++) rootCost += req.weight(prev.nodes[i], prev.links[i], prev.nodes[i + 1]);
    for (let i = prev.deviation; i < prev.nodes.length - 1; i++) {
      search.clearBlocks();
      for (const p of accepted) {
        if (p.nodes.length > i + 1 && sharesRoot(p.nodes, prev.nodes, i)) search.blockLink(p.links[i]);
      }
      for (let j = 0; j < i; j++) search.blockNode(prev.nodes[j]);
      const spur = search.find({ ...req, source: prev.nodes[i], hopBudget: budget - i });
      if (spur) {
        const nodes = prev.nodes.slice(0, i).concat(spur.nodes);
        const key = nodes.join(",");
        if (!seen.has(key)) {
          seen.add(key);
          pending.push({
            nodes,
            links: prev.links.slice(0, i).concat(spur.links),
            cost: rootCost + spur.cost,
            deviation: i,
          });
        }
      }
      rootCost += req.weight(prev.nodes[i], prev.links[i], prev.nodes[i + 1]);
    }
    if (pending.length === 0) break;
    let best = 0;
    for (let c = 1; c < pending.length; c++) {
      if (pending[c].cost < pending[best].cost) best = c;
    }
    accepted.push(pending[best]);
    pending.splice(best, 1);
  }
  search.clearBlocks();
  return accepted.map(({ nodes, links, cost }) => ({ nodes, links, cost }));
}

/** Whether `a` and `b` agree on their first i + 1 nodes. */
function sharesRoot(a: readonly number[], b: readonly number[], i: number): boolean {
  for (let j = 0; j <= i; j++) if (a[j] !== b[j]) return false;
  return true;
}
