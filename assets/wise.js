/* The page's own browser code: the bundle download and the clean address. Loaded by Dash from
   assets/ (a file, so the Content-Security-Policy needs no inline script). User text is only ever
   written with textContent. */

/* Download: the bundle route is a plain URL (curl works); on the page it is fetched so that an
   error (429, 400, 503) is shown in #download-error instead of being saved as a file. */
document.addEventListener("click", async (event) => {
  const link = event.target.closest && event.target.closest("#download");
  if (!link) return;
  event.preventDefault();
  if (link.classList.contains("disabled")) return;
  const out = document.getElementById("download-error");
  out.textContent = "Preparing the bundle…";
  try {
    const reply = await fetch(link.href);
    if (!reply.ok) {
      out.textContent = `The bundle could not be made (HTTP ${reply.status}): ` + (await reply.text()).slice(0, 400);
      return;
    }
    const blob = await reply.blob();
    const named = /filename="?([^";]+)"?/.exec(reply.headers.get("Content-Disposition") || "");
    const url = URL.createObjectURL(blob);
    const save = document.createElement("a");
    save.href = url;
    save.download = named ? named[1] : "wise-explorer-bundle.zip";
    document.body.appendChild(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    out.textContent = "";
  } catch (error) {
    out.textContent = "The bundle could not be downloaded: " + error.message;
  }
});

/* Whether two values read from JSON are the same (objects compared key by key, in any order). */
function sameJson(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null
      || Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length
    && keys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJson(a[k], b[k]));
}

window.dash_clientside = Object.assign({}, window.dash_clientside, {
  wise: {
    /* The panels drawn again for the sky context (ui/callbacks/rendering.py redraw_of): put on
       the page only if the view is still the one they were drawn for. A redraw answering after
       the user changed the view is dropped; that view's own render had the sky context already. */
    applyRedraw: function (redraw, state) {
      const keep = window.dash_clientside.no_update;
      const values = (redraw && redraw.values) || [];
      if (!redraw || !sameJson(redraw.state, state)) {
        return values.map(() => keep);
      }
      return values.map((v) => (v && v.unchanged === true && Object.keys(v).length === 1 ? keep : v));
    },
    /* Replace (not push) the address with the view's canonical query: a garbage or partial link
       is corrected in the address bar without a history entry to go back to. */
    replaceAddress: function (canonical) {
      if (canonical && window.location.search !== canonical) {
        window.history.replaceState(window.history.state, "", canonical + window.location.hash);
      }
      return window.dash_clientside.no_update;
    },
    /* SIMBAD's redshift (the sky job's "simbad_z", ui/callbacks/sky.py) for a flare search whose
       link has no z: the link gains it as a followed link would (pushState and Dash's own
       "_dashprivate_pushstate" event, as dcc.Link does), so the view state, the panels and the
       address all take it by the one path a link takes. A server callback's output would not do:
       measured, neither the address nor a store written from the sky job's chain set the view-state
       callback off again (that chain began with it), while a followed link does. */
    simbadRedshift: function (sky, fetched) {
      const found = sky && sky.simbad_z;
      const search = window.location.search;
      if (!found || !fetched || sky.fetch_id !== fetched.fetch_id || !/[?&]flare=1(&|$)/.test(search)
          || /[?&]z=/.test(search)) {
        return window.dash_clientside.no_update;
      }
      window.history.pushState(window.history.state, "", search + "&z=" + encodeURIComponent(String(found.z))
                               + window.location.hash);
      window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
      return window.dash_clientside.no_update;
    },
  },
});

/* Light-curve zooms go to the "zoom" store straight from plotly's own event, not through
   dcc.Graph's relayoutData: plotly often sends an autosize right after a zoom (the page reflowed
   as another panel filled in), and Dash runs a callback once with the latest relayoutData, so the
   zoom was lost (seen in a browser test). Only zooms and resets are passed on. */
const isZoom = (event) => Object.keys(event || {}).some((k) => /^(xaxis2?|yaxis)\.(range|autorange)/.test(k));
const onRelayout = (event) => {
  if (isZoom(event) && window.dash_clientside && window.dash_clientside.set_props) {
    window.dash_clientside.set_props("zoom", {data: Object.assign({}, event)});
  }
};
const listenForZooms = (gd) => {  // plotly's newPlot drops listeners: bound again after each draw, once
  if (gd && gd.on && gd.closest && gd.closest("#lc-graph")) {
    gd.removeListener("plotly_relayout", onRelayout);
    gd.on("plotly_relayout", onRelayout);
  }
};

/* Plot export: plotly's camera button saves a PNG (its file name comes from the server's graph
   config: wise_<target>_<plot>); this adds an SVG button beside it with the same name. Plotly is
   loaded later by dcc.Graph, so its draw functions are wrapped the moment it is assigned. */
(function () {
  let plotly = window.Plotly;
  const svgButton = () => ({
    name: "toSVG",
    title: "Download plot as SVG",
    icon: plotly.Icons.disk || plotly.Icons.camera,
    click: (gd) => plotly.downloadImage(gd, {
      format: "svg",
      filename: (((gd._context || {}).toImageButtonOptions) || {}).filename || "wise_plot",
    }),
  });
  const withSvg = (config) => {
    const out = Object.assign({}, config || {});
    out.modeBarButtonsToAdd = (out.modeBarButtonsToAdd || []).filter((b) => b.name !== "toSVG").concat([svgButton()]);
    return out;
  };
  const wrap = (draw) => function (gd, data, layout, config) {
    const drawn = (data && !Array.isArray(data) && typeof data === "object")  // the one-object form dcc.Graph uses
      ? draw.call(this, gd, Object.assign({}, data, {config: withSvg(data.config)}))
      : draw.call(this, gd, data, layout, withSvg(config));
    Promise.resolve(drawn).then(() => listenForZooms(gd), () => undefined);
    return drawn;
  };
  const patch = (value) => {
    if (value && !value.__wiseExport && value.react && value.newPlot) {
      value.react = wrap(value.react);
      value.newPlot = wrap(value.newPlot);
      value.__wiseExport = true;
    }
    return value;
  };
  patch(plotly);
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get: () => plotly,
    set: (value) => { plotly = patch(value); },
  });
})();

/* A poll of a background job (Dash POSTs /_dash-update-component?...&job=...) that meets no
   answer (the worker holding its connection was killed or recycled) would end Dash's poll chain,
   and the page would wait forever. A poll only reads the job's state, so it is sent again, on a
   new connection, to a live worker, which answers with the result or "the server restarted".
   Only polls are retried: a request that may start work is never sent twice. */
(function retryJobPolls() {
  const send = window.fetch.bind(window);
  const isPoll = (input) => {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    return url.includes("_dash-update-component") && /[?&]job=/.test(url);
  };
  window.fetch = async function (input, init) {
    if (!isPoll(input)) return send(input, init);
    for (let attempt = 0; ; attempt++) {
      try {
        return await send(input, init);
      } catch (error) {  // no answer at all (an HTTP error status is an answer and is not retried)
        if (attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  };
})();
