/* ResolutionFlow automation visualizer: read-only @xyflow/react graph, dagre left-to-right layout with
 * routed edges (edges follow dagre's points, so an edge that skips a step goes around it, never behind it),
 * run overlay (status colours, time, tokens, error) and PNG/SVG export through html-to-image.
 *
 * Props (from Reflex): graph {nodes, edges} as GET /automations/{id}/graph answers, canvasId, fileBase.
 * window.rfExportDiagram(canvasId, "png" | "svg") downloads the diagram (shared with the flow canvas).
 */
import React, { useEffect, useMemo, useRef } from "react";
import {
  ReactFlow,
  ReactFlowProvider,
  Background,
  Controls,
  MiniMap,
  Handle,
  Position,
  BaseEdge,
  EdgeLabelRenderer,
  useReactFlow,
  useNodesState,
  useNodesInitialized,
  getNodesBounds,
  getViewportForBounds,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import dagre from "@dagrejs/dagre";
import { toPng, toSvg } from "html-to-image";

const h = React.createElement;
const W = 260;
const MAX_FIELDS = 8;
// Fit-view keeps the minimap's strip (top) and the zoom controls' column (left) free of nodes.
const FIT = { padding: { top: "96px", left: "64px", right: "24px", bottom: "24px" }, maxZoom: 1.1 };

const PALETTE = {
  input: { border: "#16a34a", bg: "#f0fdf4", head: "#15803d" },
  llm: { border: "#ea580c", bg: "#fff7ed", head: "#c2410c" },
  output: { border: "#ca8a04", bg: "#fefce8", head: "#a16207" },
};
const STATUS = {
  completed: { border: "#16a34a", bg: "#dcfce7", text: "#166534", label: "completed" },
  failed: { border: "#dc2626", bg: "#fee2e2", text: "#991b1b", label: "failed" },
  skipped: { border: "#9ca3af", bg: "#f3f4f6", text: "#4b5563", label: "skipped" },
  running: { border: "#2563eb", bg: "#dbeafe", text: "#1e40af", label: "running" },
  pending: { border: "#9ca3af", bg: "#ffffff", text: "#4b5563", label: "pending" },
};

function heightOf(n) {
  if (n.type === "input") return 56 + 20 * Math.min(MAX_FIELDS + 1, Math.max(1, (n.fields || []).length));
  if (n.type === "output") return 56;
  return 118 + (n.status ? 24 : 0) + (n.status === "failed" && n.error ? 36 : 0);
}

function chip(text, color, testid) {
  return h("span", {
    key: text,
    "data-testid": testid,
    style: { fontSize: 12, lineHeight: "18px", padding: "0 6px", borderRadius: 9, border: `1px solid ${color}`, color, background: "#fff", whiteSpace: "nowrap" },
  }, text);
}

function fmtMs(ms) {
  if (ms === null || ms === undefined) return "";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function GraphNode({ data }) {
  const n = data.node;
  const pal = PALETTE[n.type] || PALETTE.llm;
  const st = n.status ? STATUS[n.status] || STATUS.pending : null;
  const border = st ? st.border : pal.border;
  const bg = st ? st.bg : pal.bg;
  const title = h("div", {
    title: n.label,
    style: { fontWeight: 700, fontSize: 14, color: pal.head, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" },
  }, n.label);
  const body = [];
  if (n.type === "input") {
    const fields = n.fields || [];
    if (fields.length === 0) body.push(h("div", { key: "none", style: { fontSize: 12, color: "#4b5563" } }, "Free text only"));
    fields.slice(0, MAX_FIELDS).forEach((f, i) =>
      body.push(h("div", { key: `f${i}`, title: f, style: { fontSize: 12, color: "#14532d", overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" } }, `• ${f}`))
    );
    if (fields.length > MAX_FIELDS) body.push(h("div", { key: "more", style: { fontSize: 12, color: "#4b5563" } }, `…and ${fields.length - MAX_FIELDS} more`));
  } else if (n.type === "llm") {
    body.push(h("div", { key: "model", title: n.model || "", style: { fontSize: 12, color: "#374151", overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" } },
      `Step ${n.step_order} · ${n.model || "no model"}`));
    const chips = [chip(`in: ${n.input_type}`, "#9a3412", "badge-in"), chip(`out: ${n.output_type}`, "#9a3412", "badge-out")];
    if (n.classification !== null && n.classification !== undefined) chips.push(chip(`class ${n.classification}`, "#6d28d9", "badge-class"));
    if (n.has_http_input) chips.push(chip("⇣ HTTP input", "#0369a1", "badge-http"));
    if (n.has_webhook) chips.push(chip("⇢ webhook", "#0369a1", "badge-webhook"));
    body.push(h("div", { key: "chips", style: { display: "flex", flexWrap: "wrap", gap: 4 } }, chips));
    if (st) {
      const bits = [st.label];
      if (n.duration_ms !== null && n.duration_ms !== undefined) bits.push(fmtMs(n.duration_ms));
      const tokens = (n.tokens_input || 0) + (n.tokens_output || 0);
      if (tokens) bits.push(`${tokens} tokens`);
      body.push(h("div", { key: "status", "data-testid": "node-status", style: { fontSize: 12, fontWeight: 600, color: st.text } }, bits.join(" · ")));
      if (n.status === "failed" && n.error) {
        body.push(h("div", {
          key: "err", title: n.error, "data-testid": "node-error",
          style: { fontSize: 12, color: st.text, overflow: "hidden", display: "-webkit-box", WebkitLineClamp: 2, WebkitBoxOrient: "vertical", overflowWrap: "anywhere" },
        }, n.error));
      }
    }
  } else {
    body.push(h("div", { key: "out", style: { fontSize: 12, color: "#713f12" } }, "The last step's output"));
  }
  return h("div", {
    "data-testid": "graph-node",
    "data-kind": n.type,
    "data-status": n.status || "",
    className: n.status === "running" ? "rf-node-running" : undefined,
    style: { width: W, minHeight: heightOf(n), boxSizing: "border-box", border: `2px solid ${border}`, background: bg, borderRadius: 10, padding: "8px 10px", display: "flex", flexDirection: "column", gap: 4, boxShadow: "0 1px 2px rgba(0,0,0,.08)" },
  },
  h(Handle, { type: "target", position: Position.Left, isConnectable: false, style: { opacity: n.type === "input" ? 0 : 1 } }),
  title,
  ...body,
  h(Handle, { type: "source", position: Position.Right, isConnectable: false, style: { opacity: n.type === "output" ? 0 : 1 } }));
}

/** An edge drawn through dagre's points: around the nodes it skips, never behind them. */
function RoutedEdge({ id, sourceX, sourceY, targetX, targetY, data, style, markerEnd }) {
  const pts = [{ x: sourceX, y: sourceY }, ...((data && data.points) || []).slice(1, -1), { x: targetX, y: targetY }];
  let path = `M ${pts[0].x} ${pts[0].y}`;
  for (let i = 1; i < pts.length; i += 1) {
    const prev = pts[i - 1];
    const p = pts[i];
    const mx = (prev.x + p.x) / 2;
    path += ` C ${mx} ${prev.y}, ${mx} ${p.y}, ${p.x} ${p.y}`;
  }
  const label = data && data.label;
  const at = data && data.labelAt;
  return h(React.Fragment, null,
    h(BaseEdge, { id, path, style, markerEnd }),
    label && at
      ? h(EdgeLabelRenderer, null,
          h("div", {
            className: "nodrag nopan",
            "data-testid": "edge-label",
            style: { position: "absolute", transform: `translate(-50%, -50%) translate(${at.x}px, ${at.y}px)`, fontSize: 12, background: "#fff", color: "#6b7280", padding: "0 4px", borderRadius: 4, border: "1px dashed #9ca3af", pointerEvents: "none" },
          }, label))
      : null);
}

const nodeTypes = { auto: GraphNode };
const edgeTypes = { routed: RoutedEdge };

function layout(graph) {
  const nodes = (graph && graph.nodes) || [];
  const edges = (graph && graph.edges) || [];
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 90, edgesep: 24, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  nodes.forEach((n) => g.setNode(n.id, { width: W, height: heightOf(n) }));
  edges.forEach((e) => g.setEdge(e.source, e.target, e.label ? { width: 84, height: 20, labelpos: "c" } : {}, e.id));
  dagre.layout(g);
  const rfNodes = nodes.map((n) => {
    const p = g.node(n.id) || { x: 0, y: 0 };
    return {
      id: n.id, type: "auto", data: { node: n },
      position: { x: Math.round(p.x - W / 2), y: Math.round(p.y - heightOf(n) / 2) },
      draggable: false, connectable: false, selectable: false,
    };
  });
  const rfEdges = edges.map((e) => {
    const de = g.edge({ v: e.source, w: e.target, name: e.id }) || {};
    const dashed = e.style === "dashed";
    return {
      id: e.id, source: e.source, target: e.target, type: "routed",
      data: { points: de.points || [], label: e.label || "", labelAt: e.label && de.x !== undefined ? { x: de.x, y: de.y } : null },
      style: { stroke: dashed ? "#9ca3af" : "#64748b", strokeWidth: 2, strokeDasharray: dashed ? "6 4" : undefined },
      markerEnd: { type: "arrowclosed", color: dashed ? "#9ca3af" : "#64748b" },
      "data-kind": dashed ? "aggregated" : "direct",
      className: dashed ? "rf-edge-aggregated" : "rf-edge-direct",
    };
  });
  return { rfNodes, rfEdges };
}

function download(dataUrl, filename) {
  const a = document.createElement("a");
  a.setAttribute("download", filename);
  a.setAttribute("href", dataUrl);
  document.body.appendChild(a);
  a.click();
  a.remove();
}

function Inner({ graph, canvasId, fileBase }) {
  const rf = useReactFlow();
  const wrapper = useRef(null);
  const id = canvasId || "automation-graph";
  const { rfNodes, rfEdges } = useMemo(() => layout(graph), [graph]);
  // Controlled nodes with onNodesChange, so measured sizes reach the user nodes (the minimap draws only measured nodes).
  const [nodes, setNodes, onNodesChange] = useNodesState([]);
  useEffect(() => setNodes(rfNodes), [rfNodes, setNodes]);
  const signature = useMemo(() => rfNodes.map((n) => n.id).join("|"), [rfNodes]);

  const initialized = useNodesInitialized();
  // The default view: the whole graph when it fits at a readable zoom (text >= 12 px), otherwise zoom 1
  // from the run form onwards (pan or use the minimap for the rest). Re-done when the set of nodes
  // changes, not when a run's status updates them.
  useEffect(() => {
    if (!initialized || !wrapper.current) return;
    const nodes = rf.getNodes();
    if (!nodes.length) return;
    const b = rf.getNodesBounds(nodes);
    const availW = wrapper.current.clientWidth - 64 - 24;
    const availH = wrapper.current.clientHeight - 96 - 24;
    const fit = Math.min(1.1, availW / Math.max(1, b.width), availH / Math.max(1, b.height));
    if (fit >= 1) {
      rf.fitView(FIT);
      return;
    }
    const y = 96 + Math.max(0, (availH - b.height) / 2) - b.y;
    rf.setViewport({ x: 64 - b.x, y, zoom: 1 });
  }, [signature, initialized, rf]);

  useEffect(() => {
    const registry = (window.rfCanvases = window.rfCanvases || {});
    registry[id] = async (fmt, filename) => {
      const el = wrapper.current && wrapper.current.querySelector(".react-flow__viewport");
      const all = rf.getNodes();
      if (!el || all.length === 0) return false;
      const bounds = rf.getNodesBounds(all);
      const width = Math.min(6000, Math.max(640, Math.round(bounds.width + 120)));
      const height = Math.min(4000, Math.max(320, Math.round(bounds.height + 120)));
      const vp = getViewportForBounds(bounds, width, height, 0.1, 2, 0.05);
      const opts = { backgroundColor: "#ffffff", width, height, style: { width: `${width}px`, height: `${height}px`, transform: `translate(${vp.x}px, ${vp.y}px) scale(${vp.zoom})` } };
      const url = fmt === "svg" ? await toSvg(el, opts) : await toPng(el, opts);
      download(url, filename || `${fileBase || "automation"}.${fmt}`);
      return true;
    };
    if (!window.rfExportDiagram) {
      window.rfExportDiagram = (cid, fmt, filename) => {
        const fn = (window.rfCanvases || {})[cid];
        return fn ? fn(fmt, filename) : Promise.resolve(false);
      };
    }
    return () => { delete registry[id]; };
  }, [id, rf, fileBase]);

  return h("div", { ref: wrapper, "data-testid": id, style: { width: "100%", height: "100%", background: "#ffffff" } },
    h("style", null, "@keyframes rfPulse{0%,100%{box-shadow:0 0 0 0 rgba(37,99,235,.5)}50%{box-shadow:0 0 0 8px rgba(37,99,235,0)}} .rf-node-running{animation:rfPulse 1.2s ease-in-out infinite}"),
    h(ReactFlow, {
      nodes, edges: rfEdges, nodeTypes, edgeTypes, onNodesChange,
      nodesDraggable: false, nodesConnectable: false, elementsSelectable: false,
      minZoom: 0.05, maxZoom: 2,
      proOptions: { hideAttribution: true },
    },
    h(Background, { gap: 18, size: 1 }),
    h(Controls, { showInteractive: false, position: "top-left" }),
    // Top-right and small, above the band FIT keeps free: the map covers no node at fit-view.
    h(MiniMap, { pannable: true, zoomable: true, position: "top-right", style: { width: 150, height: 64 }, nodeColor: (n) => (PALETTE[n.data && n.data.node && n.data.node.type] || PALETTE.llm).border })));
}

export function AutomationGraph(props) {
  return h(ReactFlowProvider, null, h(Inner, props));
}

export default AutomationGraph;
