/* ResolutionFlow troubleshooting canvas: @xyflow/react + dagre auto-layout + html-to-image export.
 *
 * Props (from Reflex): structure {start_node_id, nodes}, problems [{node_id, message}], selectedId,
 * readOnly, canvasId, fileBase (download name without extension). Events to Reflex: onSelectNode(id), onMoveNodes({id: {x, y}}),
 * onConnectNodes({source, sourceHandle, target}), onDeleteNodes([ids]),
 * onDeleteEdges([{source, sourceHandle}]), onAddNode({kind, x, y, positions}).
 * window.rfExportDiagram(canvasId, "png" | "svg") downloads the whole diagram as fileBase.png/svg.
 */
import React, { useCallback, useEffect, useMemo, useRef } from "react";
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
  useNodesState,
  useEdgesState,
  useReactFlow,
  useUpdateNodeInternals,
  useNodesInitialized,
  getNodesBounds,
  getViewportForBounds,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import dagre from "@dagrejs/dagre";
import { toPng, toSvg } from "html-to-image";

const h = React.createElement;
const NODE_W = 240;

// Node colours follow their kind everywhere (DESIGN.md section 8).
export const KINDS = {
  decision: { label: "Decision", scale: "blue", hex: "#3b82f6" },
  action: { label: "Action", scale: "orange", hex: "#f97316" },
  solution: { label: "Solution", scale: "green", hex: "#22c55e" },
};

function kindOf(type) {
  return KINDS[type] || { label: type || "Node", scale: "gray", hex: "#94a3b8" };
}

function estimateHeight(node) {
  const opts = Array.isArray(node.options) ? node.options.length : 0;
  return 78 + (node.type === "decision" ? 26 : 0) + (opts > 3 ? 10 : 0);
}

function structureEdges(nodes, ids) {
  const edges = [];
  nodes.forEach((n) => {
    if (!n || !n.id) return;
    if (n.type === "decision" && Array.isArray(n.options)) {
      n.options.forEach((o, i) => {
        if (o && o.next && ids.has(o.next)) {
          edges.push({ id: `${n.id}|opt-${i}`, source: n.id, sourceHandle: `opt-${i}`, target: o.next, label: o.label || `Option ${i + 1}` });
        }
      });
    } else if (n.type === "action" && n.next && ids.has(n.next)) {
      edges.push({ id: `${n.id}|next`, source: n.id, sourceHandle: "next", target: n.next, label: "" });
    }
  });
  return edges;
}

/** Top-to-bottom dagre layout of every node: {id: {x, y}} (top-left corners). */
function dagreLayout(nodes, edges) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 50, ranksep: 80, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  nodes.forEach((n) => g.setNode(n.id, { width: NODE_W, height: estimateHeight(n) }));
  edges.forEach((e) => g.setEdge(e.source, e.target));
  dagre.layout(g);
  const out = {};
  nodes.forEach((n) => {
    const p = g.node(n.id);
    if (p) out[n.id] = { x: Math.round(p.x - NODE_W / 2), y: Math.round(p.y - estimateHeight(n) / 2) };
  });
  return out;
}

function hasPosition(n) {
  return n.position && typeof n.position.x === "number" && typeof n.position.y === "number";
}

function FlowNode({ id, data, selected }) {
  const updateNodeInternals = useUpdateNodeInternals();
  const optionCount = Array.isArray(data.options) ? data.options.length : 0;
  // Handles appear and disappear with answers: tell xyflow to re-measure them so edges attach.
  useEffect(() => {
    updateNodeInternals(id);
  }, [id, optionCount, data.type, data.readOnly, updateNodeInternals]);
  const k = kindOf(data.type);
  const problems = data.problems || [];
  const bad = problems.length > 0;
  const options = Array.isArray(data.options) ? data.options : [];
  const border = bad ? "var(--red-9)" : `var(--${k.scale}-9)`;
  const handleStyle = { width: 11, height: 11, background: `var(--${k.scale}-9)`, border: "2px solid var(--color-panel-solid, #fff)" };
  const children = [];
  children.push(h(Handle, { key: "in", type: "target", position: Position.Top, style: handleStyle, isConnectable: !data.readOnly }));
  children.push(
    h("div", { key: "head", style: { display: "flex", alignItems: "center", gap: 6, padding: "6px 10px", background: `var(--${k.scale}-9)`, color: "white", borderRadius: "6px 6px 0 0", fontSize: 11, fontWeight: 600, letterSpacing: 0.3, textTransform: "uppercase" } },
      h("span", null, k.label),
      data.isStart ? h("span", { style: { background: "rgba(255,255,255,0.25)", borderRadius: 4, padding: "0 5px", fontSize: 10 } }, "Start") : null,
      h("span", { style: { flex: 1 } }),
      bad ? h("span", { "data-testid": `node-problem-${id}`, title: problems.join("\n"), style: { background: "var(--red-9)", borderRadius: 10, padding: "0 6px", fontSize: 10 } }, `⚠ ${problems.length}`) : null
    )
  );
  children.push(
    h("div", { key: "body", style: { padding: "8px 10px", fontSize: 13, lineHeight: 1.35, color: "var(--gray-12)", fontWeight: 500, wordBreak: "break-word" } },
      data.title ? data.title : h("span", { style: { color: "var(--gray-9)", fontStyle: "italic" } }, "Untitled"),
      bad ? h("div", { style: { marginTop: 4, fontSize: 11, color: "var(--red-11)", fontWeight: 400 } }, problems[0] + (problems.length > 1 ? ` (+${problems.length - 1} more)` : "")) : null
    )
  );
  if (data.type === "decision") {
    const chips = options.map((o, i) =>
      h("div", { key: `o${i}`, style: { position: "relative", flex: 1, minWidth: 0, textAlign: "center", fontSize: 10, padding: "3px 2px 7px", color: `var(--${k.scale}-11)`, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }, title: o.label || "" },
        o.label || `Option ${i + 1}`,
        h(Handle, { type: "source", id: `opt-${i}`, position: Position.Bottom, style: handleStyle, isConnectable: !data.readOnly })
      )
    );
    if (!data.readOnly) {
      chips.push(
        h("div", { key: "new", title: "Drag from here to add an answer", style: { position: "relative", width: 28, textAlign: "center", fontSize: 12, padding: "2px 2px 7px", color: "var(--gray-10)" } },
          "+",
          h(Handle, { type: "source", id: "opt-new", position: Position.Bottom, style: { ...handleStyle, background: "var(--gray-8)" } })
        )
      );
    }
    children.push(h("div", { key: "opts", style: { display: "flex", borderTop: `1px dashed var(--${k.scale}-6)`, gap: 2, padding: "0 4px" } }, chips));
  } else if (data.type === "action") {
    children.push(h(Handle, { key: "next", type: "source", id: "next", position: Position.Bottom, style: handleStyle, isConnectable: !data.readOnly }));
  }
  return h("div", {
    "data-testid": `flow-node-${id}`,
    "data-kind": data.type || "",
    style: {
      width: NODE_W,
      borderRadius: 8,
      border: `2px solid ${border}`,
      background: `var(--${k.scale}-2)`,
      boxShadow: selected ? `0 0 0 3px var(--${k.scale}-7)` : "0 1px 3px rgba(0,0,0,0.12)",
    },
  }, children);
}

const nodeTypes = { rf: FlowNode };

function buildNodes(structure, problems, selectedId, readOnly, prevById) {
  const list = (structure && Array.isArray(structure.nodes) ? structure.nodes : []).filter((n) => n && typeof n.id === "string" && n.id);
  const ids = new Set(list.map((n) => n.id));
  const edges = structureEdges(list, ids);
  const needsLayout = list.some((n) => !hasPosition(n));
  const auto = needsLayout ? dagreLayout(list, edges) : {};
  const byNode = {};
  (problems || []).forEach((p) => {
    if (p && p.node_id) (byNode[p.node_id] = byNode[p.node_id] || []).push(p.message);
  });
  const nodes = list.map((n) => {
    const prev = prevById[n.id];
    const position = hasPosition(n) ? { x: n.position.x, y: n.position.y } : auto[n.id] || { x: 0, y: 0 };
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
      },
    };
    if (prev && prev.measured) node.measured = prev.measured;
    return node;
  });
  return { nodes, edges, ids };
}

function styledEdges(edges, readOnly) {
  return edges.map((e) => ({
    ...e,
    type: "smoothstep",
    deletable: !readOnly,
    markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 },
    style: { strokeWidth: 1.6 },
    labelStyle: { fontSize: 11, fill: "var(--gray-11)" },
    labelBgStyle: { fill: "var(--color-panel-solid, #fff)" },
    labelBgPadding: [4, 2],
  }));
}

function currentPositions(nodes) {
  const out = {};
  nodes.forEach((n) => {
    out[n.id] = { x: Math.round(n.position.x), y: Math.round(n.position.y) };
  });
  return out;
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

function Inner(props) {
  const { structure, problems, selectedId, readOnly, canvasId } = props;
  const wrapper = useRef(null);
  const rf = useReactFlow();
  const [nodes, setNodes, onNodesChange] = useNodesState([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState([]);
  const emit = useRef(props);
  emit.current = props;

  // Rebuild the xyflow nodes/edges from the structure; never in the middle of a drag or a connection
  // (a state update arriving then, e.g. "Saved", would cancel the gesture): it runs when it ends.
  const busy = useRef(false);
  const pending = useRef(false);
  const rebuild = useRef(() => {});
  rebuild.current = () => {
    const prevById = {};
    rf.getNodes().forEach((n) => (prevById[n.id] = n));
    const built = buildNodes(structure, problems, selectedId, !!readOnly, prevById);
    setNodes(built.nodes);
    setEdges(styledEdges(built.edges, !!readOnly));
  };
  useEffect(() => {
    if (busy.current) pending.current = true;
    else rebuild.current();
  }, [structure, problems, selectedId, readOnly]);
  // Fit the whole tree into view once its nodes have been measured (they arrive after mount).
  const initialized = useNodesInitialized();
  const fitted = useRef(false);
  useEffect(() => {
    if (initialized && !fitted.current && rf.getNodes().length > 0) {
      fitted.current = true;
      rf.fitView({ padding: 0.15, maxZoom: 1.1 });
    }
  }, [initialized, rf]);
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
    const a = rf.screenToFlowPosition({ x: box.left, y: box.top });
    const b = rf.screenToFlowPosition({ x: box.left + box.width - 210, y: box.top + box.height });
    const spot = freeSpot(rf.getNodes(), { x0: a.x, y0: a.y, x1: Math.max(b.x, a.x + NODE_W + 40), y1: b.y });
    call("onAddNode", { kind, x: spot.x, y: spot.y, positions: currentPositions(rf.getNodes()) });
    if (!spot.visible) setTimeout(() => rf.fitView({ padding: 0.2, duration: 250, maxZoom: 1.2 }), 200);
  }, [rf]);

  const autoLayout = useCallback(() => {
    const list = structure && Array.isArray(structure.nodes) ? structure.nodes.filter((n) => n && n.id) : [];
    const ids = new Set(list.map((n) => n.id));
    call("onMoveNodes", dagreLayout(list, structureEdges(list, ids)));
    setTimeout(() => rf.fitView({ padding: 0.2, duration: 300 }), 150);
  }, [structure, rf]);

  // Export of the whole diagram (not only the visible part), as the React Flow docs do it.
  useEffect(() => {
    const registry = (window.rfCanvases = window.rfCanvases || {});
    registry[canvasId || "flow-canvas"] = async (fmt, filename) => {
      const el = wrapper.current && wrapper.current.querySelector(".react-flow__viewport");
      const all = rf.getNodes();
      if (!el || all.length === 0) return false;
      const bounds = getNodesBounds(all);
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
            title: "Arrange all nodes top to bottom",
            style: { cursor: "pointer", border: "1px solid var(--gray-7)", background: "var(--gray-2)", color: "var(--gray-11)", borderRadius: 6, padding: "4px 10px", fontSize: 12 },
          }, "Auto layout")
        )
      );

  return h("div", { ref: wrapper, "data-testid": canvasId || "flow-canvas", style: { width: "100%", height: "100%", background: "var(--color-background, #fff)" } },
    h(ReactFlow, {
      nodes,
      edges,
      nodeTypes,
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
      fitView: true,
      fitViewOptions: { padding: 0.2, maxZoom: 1.2 },
      minZoom: 0.1,
      maxZoom: 2,
      proOptions: { hideAttribution: true },
    },
    h(Background, { gap: 18, size: 1 }),
    h(Controls, { showInteractive: false }),
    h(MiniMap, { pannable: true, zoomable: true, nodeColor: (n) => kindOf(n.data && n.data.type).hex, nodeStrokeWidth: 2 }),
    toolbar)
  );
}

export function FlowCanvas(props) {
  return h(ReactFlowProvider, null, h(Inner, props));
}

export default FlowCanvas;
