/* ResolutionFlow troubleshooting canvas: @xyflow/react + dagre auto-layout + html-to-image export.
 *
 * Props (from Reflex): structure {start_node_id, nodes}, problems [{node_id, message}], selectedId,
 * readOnly, canvasId, fileBase (download name without extension). Events to Reflex: onSelectNode(id), onMoveNodes({id: {x, y}}),
 * onConnectNodes({source, sourceHandle, target}), onDeleteNodes([ids]),
 * onDeleteEdges([{source, sourceHandle}]), onAddNode({kind, x, y, positions}).
 * window.rfExportDiagram(canvasId, "png" | "svg") downloads the whole diagram as fileBase.png/svg
 * (a snapshot of the same nodes, routed edges and labels that the canvas shows).
 *
 * Readability rules
 * - Every text in a node or an edge label is >= 12 px at zoom 1 and wraps (never cut); a node's size is
 *   estimated from its text (`nodeSize`, a deterministic word-wrap estimate, so the layout is the same in
 *   every browser) and grows to its measured height when the estimate was short. Decision nodes widen
 *   with their number of answers.
 * - Layout (`computeLayout`): dagre top-to-bottom over the connected nodes, every labelled edge as a sized
 *   label node (`g.setEdge(v, w, {width, height, labelpos: "c"})`), so labels get their own place that no
 *   node or other edge uses; the rank gap grows when many edges must jog through it. Unconnected nodes
 *   (other than the start) sit in a row under the tree, so adding a node does not move the others.
 * - Edge routing rule: an edge is drawn through dagre's points as an orthogonal polyline (`FlowEdge`,
 *   mode "routed": vertical in the columns dagre reserved, horizontal jogs in the gaps between ranks, one
 *   lane per jog so no two edges share a horizontal line) when its source and target sit where the auto
 *   layout put them (within 2 px, allowing one shift shared by all nodes) and that route is clear of every
 *   node as the nodes are now. Otherwise - the author dragged a node elsewhere, or the structure changed
 *   since the positions were saved - the edge falls back to xyflow's smoothstep path; if that smoothstep
 *   path would pass behind a node, a small orthogonal router (`orthoRoute`) takes it around the nodes
 *   instead. "Auto layout" puts every node back at its laid-out place, so every edge is routed again.
 * - Default view: the whole diagram when it fits at zoom >= 1 (text >= 12 px), else zoom 1 from the top.
 *   The view keeps a band at the top free of nodes for the toolbar and the zoom controls (top left,
 *   controls under the toolbar) and the small minimap (top right), so none covers a node at the default view.
 */
import React, { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  ReactFlow,
  ReactFlowProvider,
  Background,
  Controls,
  MiniMap,
  Handle,
  Panel,
  Position,
  MarkerType,
  BaseEdge,
  EdgeLabelRenderer,
  getSmoothStepPath,
  useNodesState,
  useEdgesState,
  useReactFlow,
  useUpdateNodeInternals,
  useNodesInitialized,
  getViewportForBounds,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import dagre from "@dagrejs/dagre";
import { toPng, toSvg } from "html-to-image";

const h = React.createElement;
const NODE_W = 240;
const MAX_W = 560;
const CHIP_MIN = 104;
const PLUS_W = 28;
const GAP = 2;
// Text metrics (px). CHAR is a generous average glyph width (em) for the word-wrap estimate.
const F = { head: 12, body: 13, option: 12, edge: 12 };
const LH = { head: 16, body: 18, option: 16, edge: 16 };
const CHAR = 0.6;
const EDGE_LABEL_MAX = 150;
const LANE = 10;
// The view keeps this much free around the diagram (top: toolbar, zoom controls and minimap).
const PAD = { top: 100, left: 24, right: 24, bottom: 24 };
const FIT_MAX_ZOOM = 1.1;
const MINIMAP = { width: 150, height: 64 };

// Node colours follow their kind everywhere (DESIGN.md section 8).
export const KINDS = {
  decision: { label: "Decision", scale: "blue", hex: "#3b82f6" },
  action: { label: "Action", scale: "orange", hex: "#f97316" },
  solution: { label: "Solution", scale: "green", hex: "#22c55e" },
};

function kindOf(type) {
  return KINDS[type] || { label: type || "Node", scale: "gray", hex: "#94a3b8" };
}

/** Lines that `text` takes in `width` px at `font` px (word wrap, long words broken anywhere). */
function textLines(text, width, font) {
  const max = Math.max(1, Math.floor(width / (font * CHAR)));
  const words = String(text || "").split(/\s+/).filter(Boolean);
  let lines = 1;
  let cur = 0;
  words.forEach((w) => {
    let len = w.length;
    if (cur > 0 && cur + 1 + len <= max) {
      cur += 1 + len;
      return;
    }
    if (cur > 0) {
      lines += 1;
      cur = 0;
    }
    while (len > max) {
      lines += 1;
      len -= max;
    }
    cur = len;
  });
  return lines;
}

function optionLabel(o, i) {
  return (o && o.label) || `Option ${i + 1}`;
}

function optionsOf(n) {
  return n.type === "decision" && Array.isArray(n.options) ? n.options : [];
}

function nodeWidth(n) {
  const k = optionsOf(n).length;
  if (n.type !== "decision" || k === 0) return NODE_W;
  return Math.max(NODE_W, Math.min(MAX_W, 4 + 8 + PLUS_W + GAP + k * (CHIP_MIN + GAP)));
}

/** Width of one answer chip (the "+" chip is only there when editing). */
function chipWidth(w, k, readOnly) {
  const inner = w - 4 - 8 - (readOnly ? 0 : PLUS_W + GAP);
  return (inner - GAP * Math.max(0, k - 1)) / Math.max(1, k);
}

/** Deterministic size of a node from its text: {w, h} (what dagre lays out; the node's min-height). */
function nodeSize(n) {
  const w = nodeWidth(n);
  const head = 5 * 2 + LH.head;
  const title = textLines(n.title || "Untitled", w - 4 - 20, F.body);
  const body = 8 * 2 + title * LH.body;
  let opts = 0;
  const options = optionsOf(n);
  if (n.type === "decision") {
    const cw = chipWidth(w, options.length, false) - 4;
    const lines = options.reduce((m, o, i) => Math.max(m, textLines(optionLabel(o, i), cw, F.option)), 1);
    opts = 1 + 4 + lines * LH.option + 10;
  }
  return { w, h: 4 + head + body + opts };
}

function edgeLabelSize(text) {
  const est = String(text).length * F.edge * CHAR;
  const w = Math.round(Math.min(EDGE_LABEL_MAX, Math.max(40, est + 14)));
  const lines = textLines(text, w - 10, F.edge);
  return { w, h: lines * LH.edge + 6 };
}

function structureEdges(nodes, ids) {
  const edges = [];
  nodes.forEach((n) => {
    if (!n || !n.id) return;
    if (n.type === "decision" && Array.isArray(n.options)) {
      n.options.forEach((o, i) => {
        if (o && o.next && ids.has(o.next)) {
          edges.push({ id: `${n.id}|opt-${i}`, source: n.id, sourceHandle: `opt-${i}`, target: o.next, label: optionLabel(o, i), optIndex: i });
        }
      });
    } else if (n.type === "action" && n.next && ids.has(n.next)) {
      edges.push({ id: `${n.id}|next`, source: n.id, sourceHandle: "next", target: n.next, label: "", optIndex: -1 });
    }
  });
  return edges;
}

function nodeList(structure) {
  return (structure && Array.isArray(structure.nodes) ? structure.nodes : []).filter((n) => n && typeof n.id === "string" && n.id);
}

/** The rank bands (y intervals) of laid-out boxes and the gaps between them. */
function bandsOf(boxes) {
  const byY = new Map();
  boxes.forEach((b) => {
    const cy = Math.round((b.y + b.h / 2) * 2) / 2;
    byY.set(cy, Math.max(byY.get(cy) || 0, b.h));
  });
  const bands = [...byY.entries()].map(([cy, hh]) => ({ top: cy - hh / 2, bottom: cy + hh / 2 })).sort((a, b) => a.top - b.top);
  const merged = [];
  bands.forEach((b) => {
    const last = merged[merged.length - 1];
    if (last && b.top <= last.bottom) last.bottom = Math.max(last.bottom, b.bottom);
    else merged.push({ ...b });
  });
  const gaps = [];
  for (let i = 0; i + 1 < merged.length; i += 1) gaps.push({ top: merged[i].bottom, bottom: merged[i + 1].top });
  return gaps;
}

/** Estimated x of a source handle in layout coordinates (the real one comes from xyflow when drawing). */
function sourceHandleX(n, pos, size, e, readOnly) {
  if (e.optIndex < 0) return pos.x + size.w / 2;
  const k = optionsOf(n).length;
  const cw = chipWidth(size.w, k, readOnly);
  return pos.x + 2 + 4 + e.optIndex * (cw + GAP) + cw / 2;
}

function dagreRun(list, edges, sizes, ranksep) {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 56, edgesep: 24, ranksep, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  list.forEach((n) => g.setNode(n.id, { width: sizes[n.id].w, height: sizes[n.id].h }));
  edges.forEach((e) => {
    const lab = e.label ? edgeLabelSize(e.label) : null;
    g.setEdge(e.source, e.target, lab ? { width: lab.w, height: lab.h, labelpos: "c" } : { width: 0, height: 0 }, e.id);
  });
  dagre.layout(g);
  return g;
}

/**
 * The auto layout: {pos: {id: {x, y}} (top-left), routes: {edgeId: {pts, jogs, label}}, sizes}.
 * routes hold dagre's interior points and, per leg between consecutive points, the y of its jog.
 */
function computeLayout(list, edges, sizes, startId, readOnly) {
  const degree = {};
  edges.forEach((e) => {
    degree[e.source] = (degree[e.source] || 0) + 1;
    degree[e.target] = (degree[e.target] || 0) + 1;
  });
  const connected = list.filter((n) => degree[n.id] || n.id === startId || list.length === 1);
  const loose = list.filter((n) => !connected.includes(n));
  const byId = {};
  list.forEach((n) => (byId[n.id] = n));
  const pos = {};
  const routes = {};
  let ranksep = 96;
  for (let attempt = 0; attempt < 3 && connected.length; attempt += 1) {
    const g = dagreRun(connected, edges, sizes, ranksep);
    connected.forEach((n) => {
      const p = g.node(n.id);
      pos[n.id] = { x: Math.round(p.x - sizes[n.id].w / 2), y: Math.round(p.y - sizes[n.id].h / 2) };
    });
    const boxes = connected.map((n) => ({ x: pos[n.id].x, y: pos[n.id].y, w: sizes[n.id].w, h: sizes[n.id].h }));
    const legs = [];
    edges.forEach((e) => {
      const de = g.edge({ v: e.source, w: e.target, name: e.id });
      if (!de || !de.points) return;
      const label = e.label && de.x !== undefined ? { text: e.label, ...edgeLabelSize(e.label), cx: de.x, cy: de.y } : null;
      if (label) boxes.push({ x: label.cx - label.w / 2, y: label.cy - label.h / 2, w: label.w, h: label.h });
      const s = byId[e.source];
      const t = byId[e.target];
      const sx = sourceHandleX(s, pos[e.source], sizes[e.source], e, readOnly);
      const sy = pos[e.source].y + sizes[e.source].h;
      const tx = pos[e.target].x + sizes[e.target].w / 2;
      const ty = pos[e.target].y;
      const pts = de.points.slice(1, -1).map((p) => ({ x: p.x, y: p.y }));
      const all = [{ x: sx, y: sy }, ...pts, { x: tx, y: ty }];
      const down = all.every((p, i) => i === 0 || p.y > all[i - 1].y);
      routes[e.id] = { pts, jogs: [], label, down };
      if (!down || t === undefined) return;
      for (let i = 0; i + 1 < all.length; i += 1) {
        legs.push({ edge: e.id, leg: i, a: all[i], b: all[i + 1] });
        routes[e.id].jogs.push(null);
      }
    });
    // One lane per jog within each gap, so no two edges share a horizontal line.
    const gaps = bandsOf(boxes);
    const perGap = gaps.map(() => []);
    legs.forEach((l) => {
      // The gap between rank bands that this leg crosses most (its jog goes there, clear of every box).
      let gi = -1;
      let best = 0;
      gaps.forEach((gp, i) => {
        const over = Math.min(gp.bottom, l.b.y) - Math.max(gp.top, l.a.y);
        if (over > best) {
          best = over;
          gi = i;
        }
      });
      if (gi < 0 || Math.abs(l.a.x - l.b.x) < 1) {
        routes[l.edge].jogs[l.leg] = gi < 0 ? (l.a.y + l.b.y) / 2 : (Math.max(gaps[gi].top, l.a.y) + Math.min(gaps[gi].bottom, l.b.y)) / 2;
        return;
      }
      perGap[gi].push({ ...l, x0: Math.min(l.a.x, l.b.x), x1: Math.max(l.a.x, l.b.x) });
    });
    let needed = 0;
    perGap.forEach((items, gi) => {
      const gp = gaps[gi];
      items.sort((p, q) => p.x0 - q.x0 || p.x1 - q.x1);
      const laneEnd = [];
      items.forEach((it) => {
        let lane = laneEnd.findIndex((end) => end < it.x0 - 6);
        if (lane < 0) {
          lane = laneEnd.length;
          laneEnd.push(it.x1);
        } else laneEnd[lane] = it.x1;
        it.lane = lane;
      });
      const count = laneEnd.length;
      const room = gp.bottom - gp.top - 16;
      needed = Math.max(needed, count * LANE + 16 - (gp.bottom - gp.top));
      const step = count > 1 ? Math.min(LANE, room / (count - 1)) : 0;
      const mid = (gp.top + gp.bottom) / 2;
      items.forEach((it) => {
        const y = mid + (it.lane - (count - 1) / 2) * step;
        routes[it.edge].jogs[it.leg] = Math.min(Math.max(y, it.a.y + 4), it.b.y - 4);
      });
    });
    if (needed <= 0) break;
    ranksep += 2 * needed;
  }
  // Unconnected nodes: a row under the tree.
  let maxY = 0;
  let minX = 20;
  connected.forEach((n) => {
    maxY = Math.max(maxY, pos[n.id].y + sizes[n.id].h);
    minX = Math.min(minX, pos[n.id].x);
  });
  let x = minX;
  const rowY = connected.length ? maxY + 80 : 20;
  loose.forEach((n) => {
    pos[n.id] = { x: Math.round(x), y: Math.round(rowY) };
    x += sizes[n.id].w + 40;
  });
  return { pos, routes };
}

function hasPosition(n) {
  return n.position && typeof n.position.x === "number" && typeof n.position.y === "number";
}

function hit(a, b, pad = 0) {
  return a.x < b.x + b.w + pad && b.x < a.x + a.w + pad && a.y < b.y + b.h + pad && b.y < a.y + a.h + pad;
}

/** Does the axis-parallel segment p-q pass through the box (shrunk by 1 px)? */
function segHits(p, q, b) {
  const x0 = Math.min(p.x, q.x), x1 = Math.max(p.x, q.x), y0 = Math.min(p.y, q.y), y1 = Math.max(p.y, q.y);
  return x0 < b.x + b.w - 1 && x1 > b.x + 1 && y0 < b.y + b.h - 1 && y1 > b.y + 1;
}

/** The orthogonal polyline of a routed edge: vertical legs, one horizontal jog per leg. */
function routedPolyline(s, t, pts, jogs) {
  const all = [s, ...pts, t];
  const out = [s];
  for (let i = 0; i + 1 < all.length; i += 1) {
    const a = all[i], b = all[i + 1];
    const y = jogs[i] === null || jogs[i] === undefined ? (a.y + b.y) / 2 : jogs[i];
    if (Math.abs(a.x - b.x) >= 0.5) {
      out.push({ x: a.x, y }, { x: b.x, y });
    }
    out.push(b);
  }
  return simplify(out);
}

function simplify(pts) {
  const out = [];
  pts.forEach((p) => {
    const last = out[out.length - 1];
    if (last && Math.abs(last.x - p.x) < 0.01 && Math.abs(last.y - p.y) < 0.01) return;
    if (out.length >= 2) {
      const a = out[out.length - 2];
      const b = last;
      if ((Math.abs(a.x - b.x) < 0.01 && Math.abs(b.x - p.x) < 0.01) || (Math.abs(a.y - b.y) < 0.01 && Math.abs(b.y - p.y) < 0.01)) {
        out[out.length - 1] = p;
        return;
      }
    }
    out.push(p);
  });
  return out;
}

/** SVG path through orthogonal points with rounded corners. */
function roundedPath(pts, r = 8) {
  if (pts.length < 2) return "";
  let d = `M ${pts[0].x} ${pts[0].y}`;
  for (let i = 1; i < pts.length - 1; i += 1) {
    const a = pts[i - 1], b = pts[i], c = pts[i + 1];
    const l1 = Math.hypot(b.x - a.x, b.y - a.y), l2 = Math.hypot(c.x - b.x, c.y - b.y);
    const rr = Math.min(r, l1 / 2, l2 / 2);
    const p1 = { x: b.x - ((b.x - a.x) / (l1 || 1)) * rr, y: b.y - ((b.y - a.y) / (l1 || 1)) * rr };
    const p2 = { x: b.x + ((c.x - b.x) / (l2 || 1)) * rr, y: b.y + ((c.y - b.y) / (l2 || 1)) * rr };
    d += ` L ${p1.x} ${p1.y} Q ${b.x} ${b.y} ${p2.x} ${p2.y}`;
  }
  const z = pts[pts.length - 1];
  return `${d} L ${z.x} ${z.y}`;
}

/** A tiny binary heap for the router. */
function heapPush(heap, item) {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (heap[p][0] <= heap[i][0]) break;
    [heap[p], heap[i]] = [heap[i], heap[p]];
    i = p;
  }
}

function heapPop(heap) {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < heap.length && heap[l][0] < heap[m][0]) m = l;
      if (r < heap.length && heap[r][0] < heap[m][0]) m = r;
      if (m === i) break;
      [heap[m], heap[i]] = [heap[i], heap[m]];
      i = m;
    }
  }
  return top;
}

/**
 * Orthogonal route from a bottom handle `s` to a top handle `t` around `boxes` (Dijkstra on the grid of
 * the boxes' sides, a penalty per bend). Returns the polyline, or null when there is none.
 */
function orthoRoute(s, t, boxes, margin = 14) {
  const s1 = { x: s.x, y: s.y + margin };
  const t1 = { x: t.x, y: t.y - margin };
  const obs = boxes.map((b) => ({ x0: b.x - margin + 1, y0: b.y - margin + 1, x1: b.x + b.w + margin - 1, y1: b.y + b.h + margin - 1 }));
  const inside = (x, y) => obs.some((o) => x > o.x0 && x < o.x1 && y > o.y0 && y < o.y1);
  const uniq = (arr) => [...new Set(arr.map((v) => Math.round(v * 2) / 2))].sort((a, b) => a - b);
  const xs = uniq([s1.x, t1.x, ...boxes.flatMap((b) => [b.x - margin, b.x + b.w + margin])]);
  const ys = uniq([s1.y, t1.y, ...boxes.flatMap((b) => [b.y - margin, b.y + b.h + margin])]);
  const X = xs.length, Y = ys.length;
  const si = xs.indexOf(Math.round(s1.x * 2) / 2), sj = ys.indexOf(Math.round(s1.y * 2) / 2);
  const ti = xs.indexOf(Math.round(t1.x * 2) / 2), tj = ys.indexOf(Math.round(t1.y * 2) / 2);
  if (si < 0 || sj < 0 || ti < 0 || tj < 0 || inside(s1.x, s1.y) || inside(t1.x, t1.y)) return null;
  const DIRS = [[1, 0], [-1, 0], [0, 1], [0, -1]];
  const BEND = 40;
  const key = (i, j, d) => (j * X + i) * 4 + d;
  const dist = new Map();
  const prev = new Map();
  const heap = [];
  const start = key(si, sj, 2);
  dist.set(start, 0);
  heapPush(heap, [0, si, sj, 2]);
  let goal = null;
  while (heap.length) {
    const [c, i, j, d] = heapPop(heap);
    const k = key(i, j, d);
    if (c > (dist.get(k) ?? Infinity)) continue;
    if (i === ti && j === tj) {
      goal = k;
      break;
    }
    DIRS.forEach(([di, dj], nd) => {
      if ((nd ^ 1) === d && nd >> 1 === d >> 1) return; // no U-turns
      const ni = i + di, nj = j + dj;
      if (ni < 0 || nj < 0 || ni >= X || nj >= Y) return;
      const mx = (xs[i] + xs[ni]) / 2, my = (ys[j] + ys[nj]) / 2;
      if (inside(mx, my) || inside(xs[ni], ys[nj])) return;
      let nc = c + Math.abs(xs[ni] - xs[i]) + Math.abs(ys[nj] - ys[j]) + (nd === d ? 0 : BEND);
      if (ni === ti && nj === tj && nd !== 2) nc += BEND; // arrive going down
      const nk = key(ni, nj, nd);
      if (nc < (dist.get(nk) ?? Infinity)) {
        dist.set(nk, nc);
        prev.set(nk, k);
        heapPush(heap, [nc, ni, nj, nd]);
      }
    });
  }
  if (goal === null) return null;
  const path = [];
  for (let k = goal; k !== undefined; k = prev.get(k)) {
    const cell = Math.floor(k / 4);
    path.push({ x: xs[cell % X], y: ys[Math.floor(cell / X)] });
  }
  path.reverse();
  return simplify([s, ...path, t]);
}

function EdgeLabel({ text, x, y, width, id }) {
  return h(EdgeLabelRenderer, null,
    h("div", {
      className: "nodrag nopan rf-edge-label",
      "data-testid": "edge-label",
      "data-edge": id,
      title: text,
      style: {
        position: "absolute",
        transform: `translate(-50%, -50%) translate(${x}px, ${y}px)`,
        width,
        boxSizing: "border-box",
        fontSize: F.edge,
        lineHeight: `${LH.edge}px`,
        padding: "2px 4px",
        textAlign: "center",
        whiteSpace: "normal",
        overflowWrap: "anywhere",
        color: "var(--gray-11)",
        background: "var(--color-panel-solid, #fff)",
        border: "1px solid var(--gray-6)",
        borderRadius: 4,
        pointerEvents: "none",
      },
    }, text));
}

/** Routed (dagre points) or fallback (smoothstep, or around the nodes) edge with a wrapping HTML label. */
function FlowEdge({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, style, markerEnd, interactionWidth }) {
  const d = data || {};
  const geo = useMemo(() => {
    const s = { x: sourceX, y: sourceY };
    const t = { x: targetX, y: targetY };
    if (d.mode === "routed") {
      const pts = routedPolyline(s, t, d.pts || [], d.jogs || []);
      return { path: roundedPath(pts), label: d.labelAt, kind: "routed" };
    }
    const obstacles = d.obstacles || [];
    const segs = d.segs || [];
    const lw = d.labelW || EDGE_LABEL_MAX, lh = d.labelH || 24;
    const mid = (sourceY + targetY) / 2;
    const simple = [s, { x: s.x, y: mid }, { x: t.x, y: mid }, t];
    const clear = targetY > sourceY + 40 && !obstacles.some((b) => simple.some((p, i) => i > 0 && segHits(simple[i - 1], p, b)));
    if (!clear) {
      const pts = orthoRoute(s, t, obstacles);
      if (pts) return { path: roundedPath(pts), label: d.label ? labelSpot(pts, lw, lh, obstacles, segs) : null, kind: "around" };
    }
    const [path, lx, ly] = getSmoothStepPath({ sourceX, sourceY, sourcePosition, targetX, targetY, targetPosition, borderRadius: 8 });
    return { path, label: clear && d.label ? labelSpot(simple, lw, lh, obstacles, segs) : { x: lx, y: ly }, kind: "smoothstep" };
  }, [sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, d]);
  return h(React.Fragment, null,
    h(BaseEdge, { id, path: geo.path, style, markerEnd, interactionWidth, className: `rf-route-${geo.kind}` }),
    d.label && geo.label ? h(EdgeLabel, { text: d.label, x: geo.label.x, y: geo.label.y, width: d.labelW || EDGE_LABEL_MAX, id }) : null);
}

function FlowNode({ id, data, selected }) {
  const updateNodeInternals = useUpdateNodeInternals();
  const optionCount = Array.isArray(data.options) ? data.options.length : 0;
  // Handles appear and disappear with answers: tell xyflow to re-measure them so edges attach.
  useEffect(() => {
    updateNodeInternals(id);
  }, [id, optionCount, data.type, data.readOnly, data.w, updateNodeInternals]);
  const k = kindOf(data.type);
  const problems = data.problems || [];
  const bad = problems.length > 0;
  const options = Array.isArray(data.options) ? data.options : [];
  const border = bad ? "var(--red-9)" : `var(--${k.scale}-9)`;
  const handleStyle = { width: 11, height: 11, background: `var(--${k.scale}-9)`, border: "2px solid var(--color-panel-solid, #fff)" };
  const children = [];
  children.push(h(Handle, { key: "in", type: "target", position: Position.Top, style: handleStyle, isConnectable: !data.readOnly }));
  children.push(
    h("div", { key: "head", style: { display: "flex", alignItems: "center", gap: 6, padding: "5px 10px", background: `var(--${k.scale}-9)`, color: "white", borderRadius: "6px 6px 0 0", fontSize: F.head, lineHeight: `${LH.head}px`, fontWeight: 600, letterSpacing: 0.3, textTransform: "uppercase", whiteSpace: "nowrap" } },
      h("span", null, k.label),
      data.isStart ? h("span", { style: { background: "rgba(255,255,255,0.25)", borderRadius: 4, padding: "0 5px", fontSize: F.head } }, "Start") : null,
      h("span", { style: { flex: 1 } }),
      bad ? h("span", { "data-testid": `node-problem-${id}`, title: problems.join("\n"), style: { background: "var(--red-9)", borderRadius: 10, padding: "0 6px", fontSize: F.head, textTransform: "none", letterSpacing: 0 } }, `⚠ ${problems.length}`) : null
    )
  );
  children.push(
    h("div", { key: "body", title: bad ? problems.join("\n") : undefined, style: { flex: "1 0 auto", padding: "8px 10px", fontSize: F.body, lineHeight: `${LH.body}px`, color: "var(--gray-12)", fontWeight: 500, overflowWrap: "anywhere" } },
      data.title ? data.title : h("span", { style: { color: "var(--gray-9)", fontStyle: "italic" } }, "Untitled")
    )
  );
  if (data.type === "decision") {
    const chips = options.map((o, i) =>
      h("div", { key: `o${i}`, "data-testid": "node-option", title: o.label || "", style: { position: "relative", flex: "1 1 0", minWidth: 0, textAlign: "center", fontSize: F.option, lineHeight: `${LH.option}px`, padding: "4px 2px 10px", color: `var(--${k.scale}-11)`, whiteSpace: "normal", overflowWrap: "anywhere" } },
        optionLabel(o, i),
        h(Handle, { type: "source", id: `opt-${i}`, position: Position.Bottom, style: handleStyle, isConnectable: !data.readOnly })
      )
    );
    if (!data.readOnly) {
      chips.push(
        h("div", { key: "new", title: "Drag from here to add an answer", style: { position: "relative", flex: `0 0 ${PLUS_W}px`, textAlign: "center", fontSize: 14, lineHeight: `${LH.option}px`, padding: "4px 2px 10px", color: "var(--gray-10)" } },
          "+",
          h(Handle, { type: "source", id: "opt-new", position: Position.Bottom, style: { ...handleStyle, background: "var(--gray-8)" } })
        )
      );
    }
    children.push(h("div", { key: "opts", style: { display: "flex", alignItems: "stretch", borderTop: `1px dashed var(--${k.scale}-6)`, gap: GAP, padding: "0 4px" } }, chips));
  } else if (data.type === "action") {
    children.push(h(Handle, { key: "next", type: "source", id: "next", position: Position.Bottom, style: handleStyle, isConnectable: !data.readOnly }));
  }
  return h("div", {
    "data-testid": `flow-node-${id}`,
    "data-kind": data.type || "",
    style: {
      width: data.w || NODE_W,
      minHeight: data.h || undefined,
      boxSizing: "border-box",
      display: "flex",
      flexDirection: "column",
      borderRadius: 8,
      border: `2px solid ${border}`,
      background: `var(--${k.scale}-2)`,
      boxShadow: selected ? `0 0 0 3px var(--${k.scale}-7)` : "0 1px 3px rgba(0,0,0,0.12)",
    },
  }, children);
}

const nodeTypes = { rf: FlowNode };
const edgeTypes = { flow: FlowEdge };

/** Sizes, edges and the auto layout of a structure; `grown` holds measured heights above the estimate. */
function buildModel(structure, grown, readOnly) {
  const list = nodeList(structure);
  const ids = new Set(list.map((n) => n.id));
  const edges = structureEdges(list, ids);
  const sizes = {};
  list.forEach((n) => {
    const s = nodeSize(n);
    const g = grown[n.id];
    sizes[n.id] = { w: s.w, h: g && g.est === s.h ? Math.max(s.h, g.h) : s.h, estimate: s.h };
  });
  const layout = computeLayout(list, edges, sizes, structure && structure.start_node_id, readOnly);
  return { list, ids, edges, sizes, layout };
}

function buildNodes(model, structure, problems, selectedId, readOnly, prevById) {
  const byNode = {};
  (problems || []).forEach((p) => {
    if (p && p.node_id) (byNode[p.node_id] = byNode[p.node_id] || []).push(p.message);
  });
  return model.list.map((n) => {
    const prev = prevById[n.id];
    const position = hasPosition(n) ? { x: n.position.x, y: n.position.y } : model.layout.pos[n.id] || { x: 0, y: 0 };
    const node = {
      id: n.id,
      type: "rf",
      position,
      selected: n.id === selectedId,
      data: {
        type: n.type,
        title: n.title || "",
        options: n.options || [],
        isStart: structure.start_node_id === n.id,
        problems: byNode[n.id] || [],
        readOnly,
        autoPlaced: !hasPosition(n),
        w: model.sizes[n.id].w,
        h: model.sizes[n.id].estimate,
      },
    };
    if (prev && prev.measured) node.measured = prev.measured;
    return node;
  });
}

function baseEdges(edges, readOnly) {
  return edges.map((e) => ({
    id: e.id,
    source: e.source,
    sourceHandle: e.sourceHandle,
    target: e.target,
    type: "flow",
    deletable: !readOnly,
    markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 },
    style: { strokeWidth: 1.6 },
    data: { label: e.label },
  }));
}

function boxOf(n, sizes) {
  const s = sizes[n.id] || { w: NODE_W, h: 80 };
  return { id: n.id, x: n.position.x, y: n.position.y, w: (n.measured && n.measured.width) || s.w, h: Math.max((n.measured && n.measured.height) || 0, s.h) };
}

/** The shift shared by most nodes between where they are and where the auto layout puts them. */
function layoutShift(nodes, pos) {
  const counts = new Map();
  let best = { dx: 0, dy: 0, c: 0 };
  nodes.forEach((n) => {
    const p = pos[n.id];
    if (!p) return;
    const dx = Math.round(n.position.x - p.x), dy = Math.round(n.position.y - p.y);
    const k = `${dx},${dy}`;
    const c = (counts.get(k) || 0) + 1;
    counts.set(k, c);
    if (c > best.c) best = { dx, dy, c };
  });
  return best;
}

/** Decide per edge: routed through the auto layout's points, or the fallback (see the header). */
function renderEdges(edges, nodes, model) {
  const { pos, routes } = model.layout;
  const shift = layoutShift(nodes, pos);
  const byId = {};
  nodes.forEach((n) => (byId[n.id] = n));
  const boxes = nodes.map((n) => boxOf(n, model.sizes));
  const atLayout = (n) => n && pos[n.id] && Math.abs(n.position.x - pos[n.id].x - shift.dx) <= 2 && Math.abs(n.position.y - pos[n.id].y - shift.dy) <= 2;
  const routedLabels = [];
  const routedSegs = [];
  const first = edges.map((e) => {
    const s = byId[e.source], t = byId[e.target];
    const r = routes[e.id];
    if (!(r && r.down && atLayout(s) && atLayout(t))) return null;
    const mv = (p) => ({ x: p.x + shift.dx, y: p.y + shift.dy });
    const pts = r.pts.map(mv);
    const jogs = r.jogs.map((y) => (y === null ? null : y + shift.dy));
    const sb = boxOf(s, model.sizes), tb = boxOf(t, model.sizes);
    const poly = routedPolyline({ x: sb.x + sb.w / 2, y: sb.y + sb.h }, { x: tb.x + tb.w / 2, y: tb.y }, pts, jogs);
    const approx = poly.slice(1, -1);
    const others = boxes.filter((b) => b.id !== e.source && b.id !== e.target);
    const lab = r.label ? { x: r.label.cx + shift.dx - r.label.w / 2, y: r.label.cy + shift.dy - r.label.h / 2, w: r.label.w, h: r.label.h } : null;
    const clear = !approx.some((p, i) => i > 0 && others.some((b) => segHits(approx[i - 1], p, b))) && !(lab && boxes.some((b) => hit(lab, b)));
    if (!clear) return null;
    if (lab) routedLabels.push(lab);
    for (let i = 1; i < poly.length; i += 1) routedSegs.push([poly[i - 1], poly[i]]);
    return { ...e, className: "rf-routed", data: { ...e.data, mode: "routed", pts, jogs, labelAt: lab ? { x: lab.x + lab.w / 2, y: lab.y + lab.h / 2 } : null, labelW: lab ? lab.w : undefined } };
  });
  // Fallback edges go around nodes and the routed edges' labels; their labels avoid both and routed edges.
  const obstacles = [...boxes.map((b) => ({ x: b.x, y: b.y, w: b.w, h: b.h })), ...routedLabels];
  return edges.map((e, i) => {
    if (first[i]) return first[i];
    const labelText = (e.data && e.data.label) || "";
    const label = labelText ? edgeLabelSize(labelText) : null;
    return { ...e, className: "rf-fallback", data: { ...e.data, mode: "fallback", obstacles, segs: routedSegs, labelW: label ? label.w : undefined, labelH: label ? label.h : undefined } };
  });
}

/**
 * A spot for a w x h label on or beside the polyline `pts` that hits no box and no segment; failing
 * that, the spot with the least overlap.
 */
function labelSpot(pts, w, hh, boxes, segs) {
  let total = 0;
  for (let i = 1; i < pts.length; i += 1) total += Math.hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y);
  const at = (f) => {
    let rest = total * f;
    for (let i = 1; i < pts.length; i += 1) {
      const l = Math.hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y);
      if (l >= rest && l > 0) {
        const vertical = Math.abs(pts[i].x - pts[i - 1].x) < 0.5;
        return { x: pts[i - 1].x + ((pts[i].x - pts[i - 1].x) * rest) / l, y: pts[i - 1].y + ((pts[i].y - pts[i - 1].y) * rest) / l, vertical };
      }
      rest -= l;
    }
    return { ...pts[pts.length - 1], vertical: true };
  };
  const area = (a, b) => Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));
  let best = null;
  const fractions = [0.5];
  for (let k = 1; k <= 11; k += 1) fractions.push(0.5 - k * 0.04, 0.5 + k * 0.04);
  for (const f of fractions) {
    const c = at(f);
    const shifts = c.vertical ? [[0, 0], [w / 2 + 4, 0], [-w / 2 - 4, 0]] : [[0, 0], [0, -hh / 2 - 4], [0, hh / 2 + 4]];
    for (const [dx, dy] of shifts) {
      const p = { x: c.x + dx, y: c.y + dy };
      const box = { x: p.x - w / 2 - 2, y: p.y - hh / 2 - 2, w: w + 4, h: hh + 4 };
      let cost = boxes.reduce((m, b) => m + area(box, b), 0);
      cost += segs.filter(([a, q]) => segHits(a, q, box)).length * 400;
      if (cost === 0) return p;
      if (!best || cost < best.cost) best = { cost, p };
    }
  }
  return best ? best.p : at(0.5);
}

/** Bounds of everything drawn: node boxes, routed points and label boxes. */
function diagramBounds(nodes, edges, sizes) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const add = (x, y, w = 0, hh = 0) => {
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x + w); y1 = Math.max(y1, y + hh);
  };
  nodes.forEach((n) => {
    const b = boxOf(n, sizes);
    add(b.x, b.y, b.w, b.h);
  });
  edges.forEach((e) => {
    const d = e.data || {};
    if (d.mode !== "routed") return;
    (d.pts || []).forEach((p) => add(p.x - 8, p.y));
    if (d.labelAt && d.labelW) add(d.labelAt.x - d.labelW / 2, d.labelAt.y - 20, d.labelW, 40);
  });
  if (x0 === Infinity) return null;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

const NEW_H = 160;

/** A spot for a new node: the free place nearest the view's centre, else below everything (null = refit). */
function freeSpot(nodes, view) {
  const boxes = nodes.map((n) => ({
    x: n.position.x, y: n.position.y,
    w: (n.measured && n.measured.width) || NODE_W, h: (n.measured && n.measured.height) || NEW_H,
  }));
  const gap = 24;
  const clear = (cx, cy) => boxes.every((b) => cx + NODE_W + gap <= b.x || cx >= b.x + b.w + gap || cy + NEW_H + gap <= b.y || cy >= b.y + b.h + gap);
  const cx0 = (view.x0 + view.x1) / 2 - NODE_W / 2, cy0 = (view.y0 + view.y1) / 2 - NEW_H / 2;
  const step = 30;
  let best = null;
  for (let x = view.x0 + 10; x + NODE_W <= view.x1 - 10; x += step) {
    for (let y = view.y0 + 50; y + NEW_H <= view.y1 - 10; y += step) {
      if (!clear(x, y)) continue;
      const d = (x - cx0) ** 2 + (y - cy0) ** 2;
      if (!best || d < best.d) best = { x: Math.round(x), y: Math.round(y), d };
    }
  }
  if (best) return { x: best.x, y: best.y, visible: true };
  const bottom = boxes.reduce((m, b) => Math.max(m, b.y + b.h), 0);
  return { x: Math.round(cx0), y: Math.round(bottom + 60), visible: false };
}

function download(dataUrl, filename) {
  const a = document.createElement("a");
  a.setAttribute("download", filename);
  a.setAttribute("href", dataUrl);
  document.body.appendChild(a);
  a.click();
  a.remove();
}

function currentPositions(nodes) {
  const out = {};
  nodes.forEach((n) => {
    out[n.id] = { x: Math.round(n.position.x), y: Math.round(n.position.y) };
  });
  return out;
}

function Inner(props) {
  const { structure, problems, selectedId, readOnly, canvasId } = props;
  const wrapper = useRef(null);
  const rf = useReactFlow();
  const [nodes, setNodes, onNodesChange] = useNodesState([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState([]);
  const emit = useRef(props);
  emit.current = props;
  // Measured heights above a node's estimate (rounded up to 4 px, per estimate): the layout uses them.
  const [grown, setGrown] = useState({});
  const model = useMemo(() => buildModel(structure, grown, !!readOnly), [structure, grown, readOnly]);
  const modelRef = useRef(model);
  modelRef.current = model;

  // Rebuild the xyflow nodes/edges from the structure; never in the middle of a drag or a connection
  // (a state update arriving then, e.g. "Saved", would cancel the gesture): it runs when it ends.
  const busy = useRef(false);
  const pending = useRef(false);
  const rebuild = useRef(() => {});
  rebuild.current = () => {
    const prevById = {};
    rf.getNodes().forEach((n) => (prevById[n.id] = n));
    const prevEdges = {};
    rf.getEdges().forEach((e) => (prevEdges[e.id] = e));
    setNodes(buildNodes(model, structure || {}, problems, selectedId, !!readOnly, prevById));
    setEdges(baseEdges(model.edges, !!readOnly).map((e) => (prevEdges[e.id] && prevEdges[e.id].selected ? { ...e, selected: true } : e)));
  };
  useEffect(() => {
    if (busy.current) pending.current = true;
    else rebuild.current();
  }, [model, problems, selectedId, readOnly]);

  useEffect(() => {
    const sizes = model.sizes;
    let changed = null;
    nodes.forEach((n) => {
      const mh = n.measured && n.measured.height;
      const s = sizes[n.id];
      if (!mh || !s || mh <= s.h + 1) return;
      changed = changed || { ...grown };
      changed[n.id] = { est: s.estimate, h: Math.ceil(mh / 4) * 4 };
    });
    if (changed) setGrown(changed);
  }, [nodes, model, grown]);

  const shown = useMemo(() => renderEdges(edges, nodes, model), [edges, nodes, model]);
  const shownRef = useRef(shown);
  shownRef.current = shown;

  // The default view (see the header): whole diagram at zoom >= 1, else zoom 1 from the top.
  const showDefault = useCallback((duration) => {
    const el = wrapper.current;
    const all = rf.getNodes();
    if (!el || !all.length) return;
    const b = diagramBounds(all, shownRef.current, modelRef.current.sizes);
    if (!b) return;
    const availW = el.clientWidth - PAD.left - PAD.right;
    const availH = el.clientHeight - PAD.top - PAD.bottom;
    const fit = Math.min(FIT_MAX_ZOOM, availW / Math.max(1, b.width), availH / Math.max(1, b.height));
    const zoom = Math.max(1, fit);
    let x;
    if (b.width * zoom <= availW) x = PAD.left + (availW - b.width * zoom) / 2 - b.x * zoom;
    else {
      const start = all.find((n) => n.data && n.data.isStart) || all[0];
      const sb = boxOf(start, modelRef.current.sizes);
      x = PAD.left + availW / 2 - (sb.x + sb.w / 2) * zoom;
      x = Math.min(PAD.left - b.x * zoom, Math.max(PAD.left + availW - (b.x + b.width) * zoom, x));
    }
    const y = b.height * zoom <= availH ? PAD.top + (availH - b.height * zoom) / 2 - b.y * zoom : PAD.top - b.y * zoom;
    rf.setViewport({ x, y, zoom }, duration ? { duration } : undefined);
  }, [rf]);

  // Fit once the nodes have been measured (they arrive after mount).
  const initialized = useNodesInitialized();
  const fitted = useRef(false);
  useEffect(() => {
    if (initialized && !fitted.current && rf.getNodes().length > 0) {
      fitted.current = true;
      showDefault(0);
    }
  }, [initialized, rf, showDefault]);
  const startGesture = useCallback(() => {
    busy.current = true;
  }, []);
  const endGesture = useCallback(() => {
    busy.current = false;
    if (pending.current) {
      pending.current = false;
      setTimeout(() => rebuild.current(), 0);
    }
  }, []);

  const call = (name, ...args) => {
    const fn = emit.current[name];
    if (typeof fn === "function") fn(...args);
  };

  const onNodeClick = useCallback((_, node) => call("onSelectNode", node.id), []);
  const onPaneClick = useCallback(() => call("onSelectNode", ""), []);
  const onEdgeClick = useCallback((_, edge) => call("onSelectNode", edge.source), []);
  const onNodeDragStop = useCallback((_, node, dragged) => {
    endGesture();
    const all = currentPositions(rf.getNodes());
    (dragged || [node]).forEach((n) => (all[n.id] = { x: Math.round(n.position.x), y: Math.round(n.position.y) }));
    call("onMoveNodes", all);
  }, [rf]);
  const onConnect = useCallback((c) => {
    if (!c.source || !c.target || c.source === c.target) return;
    call("onConnectNodes", { source: c.source, sourceHandle: c.sourceHandle || "", target: c.target });
  }, []);
  const onNodesDelete = useCallback((deleted) => call("onDeleteNodes", deleted.map((n) => n.id)), []);
  const onEdgesDelete = useCallback((deleted) => {
    call("onDeleteEdges", deleted.map((e) => ({ source: e.source, sourceHandle: e.sourceHandle || "" })));
  }, []);
  const isValidConnection = useCallback((c) => c.source !== c.target, []);

  const addNode = useCallback((kind) => {
    const el = wrapper.current;
    const box = el ? el.getBoundingClientRect() : { left: 0, top: 0, width: 600, height: 400 };
    const a = rf.screenToFlowPosition({ x: box.left, y: box.top + PAD.top - 50 });
    const b = rf.screenToFlowPosition({ x: box.left + box.width, y: box.top + box.height });
    const spot = freeSpot(rf.getNodes(), { x0: a.x, y0: a.y, x1: Math.max(b.x, a.x + NODE_W + 40), y1: b.y });
    call("onAddNode", { kind, x: spot.x, y: spot.y, positions: currentPositions(rf.getNodes()) });
    if (!spot.visible) setTimeout(() => showDefault(250), 200);
  }, [rf, showDefault]);

  const autoLayout = useCallback(() => {
    call("onMoveNodes", modelRef.current.layout.pos);
    setTimeout(() => showDefault(300), 150);
  }, [showDefault]);

  // Export of the whole diagram (not only the visible part), as the React Flow docs do it.
  useEffect(() => {
    const registry = (window.rfCanvases = window.rfCanvases || {});
    registry[canvasId || "flow-canvas"] = async (fmt, filename) => {
      const el = wrapper.current && wrapper.current.querySelector(".react-flow__viewport");
      const all = rf.getNodes();
      if (!el || all.length === 0) return false;
      const bounds = diagramBounds(all, shownRef.current, modelRef.current.sizes);
      const width = Math.min(4000, Math.max(640, Math.round(bounds.width + 160)));
      const height = Math.min(4000, Math.max(400, Math.round(bounds.height + 160)));
      const vp = getViewportForBounds(bounds, width, height, 0.1, 2, 0.08);
      const bg = getComputedStyle(wrapper.current).backgroundColor;
      const opts = {
        backgroundColor: bg && bg !== "rgba(0, 0, 0, 0)" ? bg : "#ffffff",
        width,
        height,
        style: { width: `${width}px`, height: `${height}px`, transform: `translate(${vp.x}px, ${vp.y}px) scale(${vp.zoom})` },
      };
      const url = fmt === "svg" ? await toSvg(el, opts) : await toPng(el, opts);
      download(url, filename || `${emit.current.fileBase || "flow"}.${fmt}`);
      return true;
    };
    window.rfExportDiagram = (id, fmt, filename) => {
      const fn = (window.rfCanvases || {})[id || "flow-canvas"];
      return fn ? fn(fmt, filename) : Promise.resolve(false);
    };
    return () => {
      delete registry[canvasId || "flow-canvas"];
    };
  }, [canvasId, rf]);

  const untidy = shown.filter((e) => e.data && e.data.mode === "fallback").length;
  const toolbar = readOnly
    ? null
    : h(Panel, { position: "top-left" },
        h("div", { style: { display: "flex", gap: 6, flexWrap: "wrap" } },
          ["decision", "action", "solution"].map((kind) =>
            h("button", {
              key: kind,
              type: "button",
              "data-testid": `add-${kind}`,
              onClick: () => addNode(kind),
              style: { cursor: "pointer", border: `1px solid var(--${kindOf(kind).scale}-8)`, background: `var(--${kindOf(kind).scale}-3)`, color: `var(--${kindOf(kind).scale}-11)`, borderRadius: 6, padding: "4px 10px", fontSize: 12, fontWeight: 600 },
            }, `+ ${kindOf(kind).label}`)
          ),
          h("button", {
            key: "layout",
            type: "button",
            "data-testid": "auto-layout",
            onClick: autoLayout,
            "data-untidy": untidy,
            title: untidy
              ? `${untidy} edge(s) no longer follow the auto layout (nodes were moved or the flow changed). Click to arrange all nodes top to bottom; every edge is routed again.`
              : "Arrange all nodes top to bottom",
            style: { cursor: "pointer", border: "1px solid var(--gray-7)", background: "var(--gray-2)", color: "var(--gray-11)", borderRadius: 6, padding: "4px 10px", fontSize: 12, display: "inline-flex", alignItems: "center", gap: 6 },
          }, "Auto layout", untidy ? h("span", { "aria-hidden": true, style: { width: 7, height: 7, borderRadius: 4, background: "var(--amber-9)" } }) : null)
        )
      );

  return h("div", { ref: wrapper, "data-testid": canvasId || "flow-canvas", style: { width: "100%", height: "100%", background: "var(--color-background, #fff)" } },
    h(ReactFlow, {
      nodes,
      edges: shown,
      nodeTypes,
      edgeTypes,
      onNodesChange,
      onEdgesChange,
      onNodeClick,
      onPaneClick,
      onEdgeClick,
      onNodeDragStart: startGesture,
      onNodeDragStop,
      onConnectStart: startGesture,
      onConnectEnd: endGesture,
      onConnect,
      onNodesDelete,
      onEdgesDelete,
      isValidConnection,
      nodesDraggable: !readOnly,
      nodesConnectable: !readOnly,
      elementsSelectable: true,
      deleteKeyCode: readOnly ? null : ["Delete", "Backspace"],
      minZoom: 0.1,
      maxZoom: 2,
      proOptions: { hideAttribution: true },
    },
    h(Background, { gap: 18, size: 1 }),
    // Top corners only, above the band the default view keeps free of nodes.
    h(Controls, { showInteractive: false, position: "top-left", orientation: "horizontal", fitViewOptions: { padding: { top: `${PAD.top}px`, left: "24px", right: "24px", bottom: "24px" }, maxZoom: FIT_MAX_ZOOM }, style: { marginTop: readOnly ? 15 : 52 } }),
    h(MiniMap, { pannable: true, zoomable: true, position: "top-right", style: { width: MINIMAP.width, height: MINIMAP.height }, nodeColor: (n) => kindOf(n.data && n.data.type).hex, nodeStrokeWidth: 2 }),
    toolbar)
  );
}

export function FlowCanvas(props) {
  return h(ReactFlowProvider, null, h(Inner, props));
}

export default FlowCanvas;
