/* Hand-off to the VO tools: a SAMP Web Profile client (IVOA SAMP 1.3, sec. 5) in the page.

   The Web Profile is XML-RPC over HTTP to the user's own hub on http://localhost:21012/ (TOPCAT and
   Aladin each run one). The page registers once (the hub asks the user to accept), then sends
   notifications whose parameters are URLs of this server's plain routes for exactly the view on
   screen (/table/<name>.vot?<view>, /image/<band>.fits?<view>); the receiving tool fetches them.
   "Send to TOPCAT": table.load.votable with the sources, epochs and visits; "Send to Aladin":
   image.load.fits with the sky image, then the sources. A tool is found by its samp.name among the
   clients subscribed to the message type; where none is named so, every subscriber gets it.
   User text is only ever written with textContent. */
(function () {
  "use strict";
  const HUB = "http://localhost:21012/";
  const NAME = "WISE Explorer";
  let privateKey = null;

  const escapeXml = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

  function encode(value) {
    if (Array.isArray(value)) {
      return "<value><array><data>" + value.map(encode).join("") + "</data></array></value>";
    }
    if (value !== null && typeof value === "object") {
      return "<value><struct>" + Object.entries(value).map(([k, v]) =>
        "<member><name>" + escapeXml(k) + "</name>" + encode(v) + "</member>").join("") + "</struct></value>";
    }
    return "<value><string>" + escapeXml(value) + "</string></value>";  // SAMP's scalars are strings
  }

  function decode(node) {
    const inner = Array.from(node.children)[0];
    if (!inner) return node.textContent;  // an untyped value is a string
    switch (inner.tagName) {
      case "struct": {
        const out = {};
        for (const member of inner.children) {
          out[member.getElementsByTagName("name")[0].textContent] = decode(member.getElementsByTagName("value")[0]);
        }
        return out;
      }
      case "array":
        return Array.from(inner.getElementsByTagName("data")[0].children).map(decode);
      case "int": case "i4": case "double":
        return Number(inner.textContent);
      case "boolean":
        return inner.textContent.trim() === "1";
      default:
        return inner.textContent;
    }
  }

  class HubError extends Error {}

  async function call(method, ...params) {
    const body = '<?xml version="1.0"?><methodCall><methodName>' + method + "</methodName><params>" +
      params.map((p) => "<param>" + encode(p) + "</param>").join("") + "</params></methodCall>";
    let reply;
    try {
      reply = await fetch(HUB, {method: "POST", headers: {"Content-Type": "text/xml"}, body});
    } catch (err) {
      throw new HubError("none");
    }
    const doc = new DOMParser().parseFromString(await reply.text(), "text/xml");
    const fault = doc.getElementsByTagName("fault")[0];
    if (fault) {
      const detail = decode(fault.getElementsByTagName("value")[0]);
      throw new HubError(String(detail.faultString || "the hub refused"));
    }
    const value = doc.getElementsByTagName("param")[0];
    return value ? decode(value.getElementsByTagName("value")[0]) : null;
  }

  async function register() {
    if (privateKey) return privateKey;
    const map = await call("samp.webhub.register", {"samp.name": NAME});
    privateKey = map["samp.private-key"];
    await call("samp.webhub.declareMetadata", privateKey, {
      "samp.name": NAME, "samp.description.text": "WISE/NEOWISE sources, SED and light curve of one view",
      "home.page": location.origin + "/"});
    return privateKey;
  }

  async function recipients(key, mtype, wanted) {
    const subscribed = Object.keys(await call("samp.webhub.getSubscribedClients", key, mtype) || {});
    const named = [];
    for (const id of subscribed) {
      const meta = await call("samp.webhub.getMetadata", key, id) || {};
      named.push([id, String(meta["samp.name"] || id)]);
    }
    const chosen = named.filter(([, name]) => name.toLowerCase().includes(wanted));
    return chosen.length ? chosen : named;
  }

  async function notify(key, mtype, params, wanted) {
    const targets = await recipients(key, mtype, wanted);
    for (const [id] of targets) {
      await call("samp.webhub.notify", key, id, {"samp.mtype": mtype, "samp.params": params});
    }
    return targets.map(([, name]) => name);
  }

  function viewQuery() {
    const link = document.getElementById("download");
    if (!link || link.classList.contains("disabled") || !link.getAttribute("href")) return null;
    return new URL(link.getAttribute("href"), location.origin).search;
  }

  const HOW = "No SAMP hub answered on this computer (localhost:21012). Start TOPCAT or Aladin (each starts a " +
    "hub with the Web Profile when none runs), then press again and accept the hub's question.";

  async function send(button) {
    const status = document.getElementById("samp-status");
    const query = viewQuery();
    if (!query) {
      status.textContent = "Open a view first: there is nothing to send yet.";
      return;
    }
    const tool = button.dataset.tool;
    status.textContent = `Connecting to your SAMP hub (it may ask you to accept ${NAME})…`;
    try {
      const key = await register();
      const base = location.origin;
      const sent = new Set();
      if (tool === "aladin") {
        const band = (new URLSearchParams(query).get("img") || "W1").toLowerCase();
        (await notify(key, "image.load.fits", {url: `${base}/image/${band}.fits${query}`, "image-id": `wise-${band}`,
          name: `WISE ${band.toUpperCase()} image`}, "aladin")).forEach((n) => sent.add(n));
        (await notify(key, "table.load.votable", {url: `${base}/table/sources.vot${query}`, "table-id": "wise-sources",
          name: "WISE sources"}, "aladin")).forEach((n) => sent.add(n));
      } else {
        for (const name of ["sources", "epochs", "visits"]) {
          (await notify(key, "table.load.votable", {url: `${base}/table/${name}.vot${query}`,
            "table-id": `wise-${name}`, name: `WISE ${name}`}, "topcat")).forEach((n) => sent.add(n));
        }
      }
      status.textContent = sent.size ? `Sent to ${Array.from(sent).join(", ")}.` :
        `Your hub has no client that loads ${tool === "aladin" ? "images or tables" : "tables"}: start ` +
        `${tool === "aladin" ? "Aladin" : "TOPCAT"} and press again.`;
    } catch (err) {
      privateKey = err instanceof HubError && err.message !== "none" ? privateKey : null;
      status.textContent = err instanceof HubError && err.message === "none" ? HOW :
        `The SAMP hub refused: ${String(err.message).slice(0, 200)}`;
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest(".samp-send");
    if (button) {
      event.preventDefault();
      send(button);
    }
  });

  window.addEventListener("pagehide", () => {
    if (privateKey) {
      const body = '<?xml version="1.0"?><methodCall><methodName>samp.webhub.unregister</methodName><params>' +
        "<param>" + encode(privateKey) + "</param></params></methodCall>";
      fetch(HUB, {method: "POST", headers: {"Content-Type": "text/xml"}, body, keepalive: true}).catch(() => {});
    }
  });
})();
