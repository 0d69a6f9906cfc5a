(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var text = document.getElementById("text");
  var tip = document.getElementById("tip");
  var details = document.getElementById("details-body");

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }
  function short(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }
  function marksOf(id) { return text.querySelectorAll('mark[data-span="' + id + '"]'); }
  // The spans at a point: the mark under the pointer and every mark around it, innermost first.
  function spansAt(node) {
    var ids = [];
    for (var n = node; n && n !== text; n = n.parentNode) {
      var id = n.getAttribute && n.getAttribute("data-span");
      if (id && ids.indexOf(id) < 0) ids.push(id);
    }
    return ids;
  }
  function mark(ids, cls) {
    text.querySelectorAll("mark." + cls).forEach(function (m) { m.classList.remove(cls); });
    ids.forEach(function (id) { marksOf(id).forEach(function (m) { m.classList.add(cls); }); });
  }
  function chips(kinds) {
    var box = el("span");
    kinds.forEach(function (k) { box.appendChild(el("span", "badge k-" + k, data.kinds[k] || k)); });
    return box;
  }
  function claimBlock(iri) {
    var claim = data.claims[iri];
    var box = el("div", "claimtext");
    if (!claim) return box;
    box.appendChild(el("div", null, "claim: " + claim.content));
    box.appendChild(el("div", "types", "by: " + claim.sources.join(", ")));
    claim.verdicts.forEach(function (v) { box.appendChild(el("span", "badge verdict", "judged " + v[1] + " by " + v[0])); });
    return box;
  }
  function itemBlock(iri) {
    var item = data.items[iri];
    var box = el("div", "item");
    box.appendChild(el("span", "name", item.label));
    box.appendChild(document.createTextNode(" "));
    box.appendChild(el("span", "types", (item.types.join(", ") || item.role) + " · " + item.status));
    item.claims.forEach(function (c) { box.appendChild(claimBlock(c)); });
    var table = el("table", "triples");
    item.triples.forEach(function (t) {
      var row = el("tr");
      row.appendChild(el("td", "p", t[0]));
      row.appendChild(el("td", "o", t[1]));
      table.appendChild(row);
    });
    box.appendChild(table);
    return box;
  }
  function spanCard(id) {
    var span = data.spans[id];
    var card = el("div", "card");
    card.appendChild(el("p", "quote", "“" + span.quote + "”"));
    var where = el("div", "where", "characters " + id.replace("-", "–") + " ");
    where.appendChild(chips(span.kinds));
    card.appendChild(where);
    span.items.forEach(function (iri) { card.appendChild(itemBlock(iri)); });
    return card;
  }
  function showDetails(ids, keepScroll) {
    details.textContent = "";
    ids.forEach(function (id) { details.appendChild(spanCard(id)); });
    if (!keepScroll) document.getElementById("panel").scrollTop = 0;
  }
  function showTip(ids, ev) {
    var span = data.spans[ids[0]];
    tip.textContent = "";
    tip.appendChild(el("div", "q", "“" + short(span.quote, 140) + "”"));
    tip.appendChild(chips(span.kinds));
    var list = el("ul");
    span.items.slice(0, 6).forEach(function (iri) {
      var item = data.items[iri];
      list.appendChild(el("li", null, item.label + " (" + (item.types[0] || item.role) + ", " + item.status + ")"));
    });
    tip.appendChild(list);
    var more = span.items.length > 6 ? (span.items.length - 6) + " more items; " : "";
    if (ids.length > 1) more += "inside " + (ids.length - 1) + " more span(s); ";
    tip.appendChild(el("div", "more", more + "click for the triples"));
    tip.hidden = false;
    placeTip(ev);
  }
  function placeTip(ev) {
    var x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    var y = ev.clientY + 18;
    if (y + tip.offsetHeight > window.innerHeight - 8) y = ev.clientY - tip.offsetHeight - 12;
    tip.style.left = Math.max(8, x) + "px";
    tip.style.top = Math.max(8, y) + "px";
  }
  text.addEventListener("mouseover", function (ev) {
    var ids = spansAt(ev.target);
    if (!ids.length) { tip.hidden = true; mark([], "hover"); return; }
    mark([ids[0]], "hover");
    showTip(ids, ev);
  });
  text.addEventListener("mousemove", function (ev) { if (!tip.hidden) placeTip(ev); });
  text.addEventListener("mouseleave", function () { tip.hidden = true; mark([], "hover"); });
  text.addEventListener("click", function (ev) {
    var ids = spansAt(ev.target);
    if (!ids.length) return;
    mark([ids[0]], "pinned");
    showDetails(ids);
  });
  function selectAttribution(li) {
    document.querySelectorAll("li.att.selected").forEach(function (n) { n.classList.remove("selected"); });
    li.classList.add("selected");
    var ids = li.getAttribute("data-spans").split(" ").filter(Boolean);
    mark(ids, "hl");
    if (ids.length && marksOf(ids[0]).length) marksOf(ids[0])[0].scrollIntoView({ block: "center", behavior: "smooth" });
    showDetails(ids.filter(function (id) { return data.spans[id]; }), true);
  }
  var sources = document.getElementById("sources");
  sources.addEventListener("click", function (ev) {
    var li = ev.target.closest("li.att");
    if (li) selectAttribution(li);
  });
  sources.addEventListener("keydown", function (ev) {
    var li = ev.target.closest("li.att");
    if (li && (ev.key === "Enter" || ev.key === " ")) { ev.preventDefault(); selectAttribution(li); }
  });
}());
