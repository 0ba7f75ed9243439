/* ecopark_opt: the design on a map (docs/maps.md). Reads the JSON in #ecopark-data and
   draws it with Leaflet: firms coloured by sector, plots, links coloured by resource with
   their width by quantity, a popup per firm, plot and link, a legend, a layer per resource
   (and, for a comparison, one design per option). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ecopark-data").textContent);
  var geo = data.system === "wgs84";
  var currency = data.currency;
  var LABEL_LIMIT = 60; // firm names are drawn on the map up to this many firms

  function esc(value) {
    return String(value === null || value === undefined ? "" : value)
      .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  function num(value, digits) {
    if (value === null || value === undefined) { return "–"; }
    var d = digits === undefined ? (Math.abs(value) >= 100 ? 0 : 2) : digits;
    return Number(value).toLocaleString("en-US", {
      minimumFractionDigits: 0, maximumFractionDigits: d
    });
  }
  function money(value) { return esc(num(value, 0)) + " " + esc(currency) + "/yr"; }
  function row(label, value) {
    return "<tr><th>" + esc(label) + "</th><td>" + value + "</td></tr>";
  }
  function latlng(c) { return L.latLng(c[1], c[0]); } // (lon, lat) or (x_km, y_km)

  var options = {zoomSnap: 0.25, zoomDelta: 0.5};
  if (!geo) {
    options.crs = L.CRS.Simple;
    options.minZoom = -6;
    options.maxZoom = 10;
  }
  var map = L.map("map", options);
  map.attributionControl.setPrefix(
    '<a href="https://leafletjs.com">Leaflet</a> | ecopark_opt');
  if (geo && data.tiles) {
    L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: "&copy; OpenStreetMap contributors",
      errorTileUrl: "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
    }).addTo(map);
  }
  map.createPane("plots").style.zIndex = 390; // under links and firms (overlayPane, 400)

  // --- one design's layers ---------------------------------------------------------------
  var firmsLayer = L.layerGroup().addTo(map);
  var plotsLayer = L.layerGroup().addTo(map);
  var resourceLayers = {};
  Object.keys(data.resources).forEach(function (r) {
    if (data.resources[r].used) { resourceLayers[r] = L.layerGroup().addTo(map); }
  });
  var arrows = [];

  function firmPopup(p) {
    var status = p.status === "candidate" ? "candidate (admitted)" : "existing";
    return "<b>" + esc(p.name) + "</b> <span class=\"ecopark-id\">" + esc(p.firm_id) +
      "</span><table>" + row("sector", esc(p.sector || "–")) + row("status", esc(status)) +
      row("site", esc(p.site)) + row("standalone cost", money(p.baseline_cost)) +
      row("design cost", money(p.design_cost)) + row("gain", money(p.gain)) + "</table>";
  }
  function plotPopup(p) {
    return "<b>Plot " + esc(p.site_id) + "</b><table>" +
      row("firms on it", esc(p.firm || "none (free)")) + row("capacity", esc(num(p.capacity))) +
      row("site cost", money(p.site_cost)) + "</table>";
  }
  function linkPopup(p) {
    var res = p.from_resource === p.to_resource ? esc(p.from_resource)
      : esc(p.from_resource) + " → " + esc(p.to_resource);
    return "<b>" + esc(p.supplier) + " → " + esc(p.receiver) + "</b><table>" +
      row("resource", res) + row("mode", esc(p.mode)) +
      row("distance", esc(num(p.distance_km, 2)) + " km") +
      row("sent", esc(num(p.sent)) + " " + esc(p.unit) + "/yr") +
      row("delivered", esc(num(p.delivered)) + " " + esc(p.delivered_unit) + "/yr") +
      row("annual cost", money(p.annual_cost)) + row("net saving", money(p.saving)) +
      "</table>";
  }

  // A link is drawn as a gentle arc bending to the right of its direction, so that the two
  // directions between a pair of sites, and parallel links, stay apart; an arrowhead at 55 %
  // of its length (redrawn at every zoom, in screen pixels) shows the direction.
  function arc(a, b, bend) {
    var k = Math.cos(((a.lat + b.lat) / 2) * Math.PI / 180) || 1;
    if (!geo) { k = 1; }
    var ax = a.lng * k, ay = a.lat, bx = b.lng * k, by = b.lat;
    var dx = bx - ax, dy = by - ay, len = Math.sqrt(dx * dx + dy * dy);
    var pts = [];
    if (len === 0) { // both firms on one site: a small loop
      var r = loopRadius;
      for (var j = 0; j <= 24; j++) {
        var t = 2 * Math.PI * j / 24;
        pts.push(L.latLng(ay + r * (1 - Math.cos(t)) * (1 + bend),
                          (ax + r * Math.sin(t) * (1 + bend)) / k));
      }
      return pts;
    }
    var cx = (ax + bx) / 2 + dy * bend, cy = (ay + by) / 2 - dx * bend;
    for (var i = 0; i <= 16; i++) {
      var s = i / 16, u = 1 - s;
      pts.push(L.latLng(u * u * ay + 2 * u * s * cy + s * s * by,
                        (u * u * ax + 2 * u * s * cx + s * s * bx) / k));
    }
    return pts;
  }
  function placeArrow(item) {
    var pts = item.points, n = pts.length - 1, at = Math.floor(n * 0.55);
    var p = map.latLngToLayerPoint(pts[at]), q = map.latLngToLayerPoint(pts[Math.min(at + 1, n)]);
    var dx = q.x - p.x, dy = q.y - p.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
    var ux = dx / len, uy = dy / len, size = 7 + item.weight;
    var tip = L.point(p.x + ux * size, p.y + uy * size);
    var left = L.point(p.x - uy * size * 0.6, p.y + ux * size * 0.6);
    var right = L.point(p.x + uy * size * 0.6, p.y - ux * size * 0.6);
    item.arrow.setLatLngs([tip, left, right].map(function (pt) {
      return map.layerPointToLatLng(pt);
    }));
  }
  map.on("zoomend viewreset", function () { arrows.forEach(placeArrow); });

  var loopRadius = 0;
  var allBounds = L.latLngBounds([]);
  data.options.forEach(function (o) {
    o.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      (f.geometry.type === "Point" ? [c] : c).forEach(function (p) { allBounds.extend(latlng(p)); });
    });
  });
  if (allBounds.isValid()) {
    var diag = Math.sqrt(Math.pow(allBounds.getNorth() - allBounds.getSouth(), 2) +
                         Math.pow(allBounds.getEast() - allBounds.getWest(), 2));
    loopRadius = (diag || (geo ? 0.01 : 1)) * 0.02;
  }

  function draw(option) {
    firmsLayer.clearLayers();
    plotsLayer.clearLayers();
    Object.keys(resourceLayers).forEach(function (r) { resourceLayers[r].clearLayers(); });
    arrows = [];
    var firms = option.features.filter(function (f) { return "firm_id" in f.properties; });
    var plots = option.features.filter(function (f) { return "site_id" in f.properties; });
    var links = option.features.filter(function (f) { return f.geometry.type === "LineString"; });
    plots.forEach(function (f) {
      var used = f.properties.firm !== null;
      L.marker(latlng(f.geometry.coordinates), {
        pane: "plots",
        icon: L.divIcon({
          className: "ecopark-plot" + (used ? " ecopark-plot-used" : ""),
          iconSize: [22, 22]
        }),
        title: "plot " + f.properties.site_id
      }).bindPopup(plotPopup(f.properties)).addTo(plotsLayer);
    });
    var biggest = {};
    links.forEach(function (f) {
      var r = f.properties.from_resource;
      biggest[r] = Math.max(biggest[r] || 0, f.properties.sent || 0);
    });
    var parallel = {};
    links.forEach(function (f) {
      var p = f.properties, r = p.from_resource;
      var key = p.from_site + "\u0000" + p.to_site;
      var index = parallel[key] = (parallel[key] === undefined ? 0 : parallel[key] + 1);
      var share = biggest[r] > 0 ? (p.sent || 0) / biggest[r] : 0;
      var weight = 2 + 7 * Math.sqrt(share);
      var color = data.resources[r].color;
      var c = f.geometry.coordinates;
      var points = arc(latlng(c[0]), latlng(c[1]), 0.12 + 0.08 * index);
      var layer = resourceLayers[r];
      L.polyline(points, {
        color: color, weight: weight, opacity: 0.85, lineCap: "round",
        className: "ecopark-link"
      }).bindPopup(linkPopup(p)).bindTooltip(esc(p.supplier) + " → " + esc(p.receiver) +
        ": " + esc(r), {sticky: true}).addTo(layer);
      var head = L.polygon([points[0], points[1], points[2]], {
        color: color, weight: 1, fillColor: color, fillOpacity: 0.95, opacity: 0.95,
        interactive: false, className: "ecopark-arrow"
      }).addTo(layer);
      arrows.push({points: points, arrow: head, weight: weight});
    });
    firms.forEach(function (f) {
      var p = f.properties, candidate = p.status === "candidate";
      var marker = L.circleMarker(latlng(f.geometry.coordinates), {
        radius: 8, color: candidate ? "#111" : "#fff", weight: candidate ? 3 : 1.5,
        dashArray: candidate ? "4 3" : null, fillColor: data.sectors[p.sector || ""],
        fillOpacity: 0.95, className: "ecopark-firm" + (candidate ? " ecopark-candidate" : "")
      }).bindPopup(firmPopup(p));
      if (firms.length <= LABEL_LIMIT) {
        marker.bindTooltip(esc(p.firm_id), {
          permanent: true, direction: "right", offset: [9, 0], className: "ecopark-label"
        });
      } else {
        marker.bindTooltip(esc(p.name));
      }
      marker.addTo(firmsLayer);
    });
    arrows.forEach(placeArrow);
    showSummary(option);
  }

  // --- controls ---------------------------------------------------------------------------
  var info = L.control({position: "topright"});
  info.onAdd = function () {
    this._div = L.DomUtil.create("div", "ecopark-box ecopark-info");
    L.DomEvent.disableClickPropagation(this._div);
    return this._div;
  };
  info.addTo(map);
  function showSummary(option) {
    var s = option.summary, cost = s.metrics.cost;
    var html = "<div class=\"ecopark-title\">" + esc(data.title) + "</div>";
    if (data.options.length > 1) { html += "<div>option <b>" + esc(option.name) + "</b></div>"; }
    if (cost.design !== null && cost.baseline !== null) {
      var saving = cost.baseline - cost.design;
      var pct = cost.baseline ? " (" + num(100 * saving / cost.baseline, 1) + " %)" : "";
      html += "<div>" + esc(s.links) + " links · cost " + money(cost.design) + "</div>" +
        "<div>saving " + money(saving) + esc(pct) + " against standalone</div>";
    } else {
      html += "<div>no design: " + esc(s.status) + "</div>";
    }
    if (!geo) {
      html += "<div class=\"ecopark-note\">local plane in km (no crs): grid every " +
        esc(num(gridStep, 3)) + " km</div>";
    }
    if (coreBounds !== allBounds) {
      html += "<div class=\"ecopark-note\">view: <a href=\"#\" data-view=\"core\">core</a> · " +
        "<a href=\"#\" data-view=\"all\">whole park</a> (some partners are far away)</div>";
    }
    info._div.innerHTML = html;
    Array.prototype.forEach.call(info._div.querySelectorAll("a[data-view]"), function (a) {
      a.addEventListener("click", function (e) {
        e.preventDefault();
        (a.getAttribute("data-view") === "all" ? viewAll : viewCore)();
      });
    });
  }

  var overlays = {"Firms": firmsLayer};
  if (data.has_plots) { overlays["Plots"] = plotsLayer; }
  Object.keys(resourceLayers).forEach(function (r) {
    var res = data.resources[r];
    overlays["<span class=\"ecopark-swatch\" style=\"background:" + res.color + "\"></span>" +
      esc(res.name) + (res.unit ? " (" + esc(res.unit) + ")" : "")] = resourceLayers[r];
  });
  var bases = {};
  var byName = {};
  if (data.options.length > 1) {
    data.options.forEach(function (o) {
      var marker = L.layerGroup();
      bases["option " + esc(o.name)] = marker;
      byName["option " + esc(o.name)] = o;
    });
  }
  L.control.layers(bases, overlays, {collapsed: false, position: "topright"}).addTo(map);
  map.on("baselayerchange", function (e) {
    draw(byName[e.name]);
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#option=" + encodeURIComponent(byName[e.name].name));
    }
  });

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "ecopark-box ecopark-legend");
    var html = "<div class=\"ecopark-title\">Firms by sector</div>";
    Object.keys(data.sectors).forEach(function (s) {
      html += "<div><span class=\"ecopark-dot\" style=\"background:" + data.sectors[s] +
        "\"></span>" + esc(s || "(no sector)") + "</div>";
    });
    if (data.has_candidates) {
      html += "<div><span class=\"ecopark-dot ecopark-dot-candidate\"></span>candidate firm</div>";
    }
    if (data.has_plots) {
      html += "<div><span class=\"ecopark-plot-key\"></span>free plot " +
        "<span class=\"ecopark-plot-key ecopark-plot-used\"></span>used plot</div>";
    }
    html += "<div class=\"ecopark-title\">Links</div>" +
      "<div class=\"ecopark-note\">colour: resource (layers, top right);<br>width: quantity, " +
      "relative within each resource;<br>arrow: direction of the flow</div>";
    div.innerHTML = html;
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  legend.addTo(map);

  // --- a km grid for a local plane ----------------------------------------------------------
  var gridStep = 1;
  if (!geo && allBounds.isValid()) {
    var span = Math.max(allBounds.getEast() - allBounds.getWest(),
                        allBounds.getNorth() - allBounds.getSouth(), 1);
    var raw = span / 6, mag = Math.pow(10, Math.floor(Math.log10(raw)));
    gridStep = [1, 2, 5, 10].map(function (m) { return m * mag; })
      .filter(function (s) { return s >= raw; })[0];
    var grid = L.layerGroup().addTo(map);
    var x0 = Math.floor(allBounds.getWest() / gridStep - 2) * gridStep;
    var x1 = Math.ceil(allBounds.getEast() / gridStep + 2) * gridStep;
    var y0 = Math.floor(allBounds.getSouth() / gridStep - 2) * gridStep;
    var y1 = Math.ceil(allBounds.getNorth() / gridStep + 2) * gridStep;
    for (var gx = x0; gx <= x1 + 1e-9; gx += gridStep) {
      L.polyline([[y0, gx], [y1, gx]], {color: "#c9c4b8", weight: 1, interactive: false,
        className: "ecopark-grid"}).addTo(grid);
      L.marker([y0 + gridStep * 1.5, gx], {interactive: false, icon: L.divIcon({
        className: "ecopark-grid-label", html: esc(num(gx, 3)), iconSize: [50, 14]})}).addTo(grid);
    }
    for (var gy = y0; gy <= y1 + 1e-9; gy += gridStep) {
      L.polyline([[gy, x0], [gy, x1]], {color: "#c9c4b8", weight: 1, interactive: false,
        className: "ecopark-grid"}).addTo(grid);
      L.marker([gy, x0 + gridStep * 1.5], {interactive: false, icon: L.divIcon({
        className: "ecopark-grid-label", html: esc(num(gy, 3)), iconSize: [50, 14]})}).addTo(grid);
    }
  }

  // The first view frames the park's core: a partner far away (a cement works 70 km off)
  // would otherwise shrink the cluster of neighbours to a dot; "whole park" shows all.
  var fit = {paddingTopLeft: [60, 40], paddingBottomRight: [340, 40], maxZoom: geo ? 15 : 8};
  var coreBounds = core();
  function core() {
    var pts = [];
    data.options.forEach(function (o) {
      o.features.forEach(function (f) {
        if (f.geometry.type === "Point") { pts.push(latlng(f.geometry.coordinates)); }
      });
    });
    if (pts.length < 4) { return allBounds; }
    function median(values) {
      var v = values.slice().sort(function (a, b) { return a - b; });
      return v[Math.floor(v.length / 2)];
    }
    var k = geo ? Math.cos(median(pts.map(function (p) { return p.lat; })) * Math.PI / 180) : 1;
    var mx = median(pts.map(function (p) { return p.lng * k; }));
    var my = median(pts.map(function (p) { return p.lat; }));
    var dist = pts.map(function (p) { return Math.hypot(p.lng * k - mx, p.lat - my); });
    var limit = 4 * Math.max(median(dist), 1e-9);
    var inner = L.latLngBounds(pts.filter(function (p, i) { return dist[i] <= limit; }));
    var whole = allBounds;
    var size = function (b) {
      return Math.hypot((b.getEast() - b.getWest()) * k, b.getNorth() - b.getSouth());
    };
    return size(whole) > 3 * size(inner) ? inner : allBounds;
  }
  function viewAll() { map.fitBounds(allBounds.pad(0.05), fit); }
  function viewCore() { map.fitBounds(coreBounds.pad(0.08), fit); }
  if (allBounds.isValid()) {
    viewCore();
  } else {
    map.setView([0, 0], geo ? 2 : 0);
  }
  window.ecoparkView = {all: viewAll, core: viewCore};
  // the option to show first: #option=NAME in the address (a link to one option), else the
  // one the report describes
  var asked = /^#option=(.*)$/.exec(window.location.hash);
  var wanted = asked ? decodeURIComponent(asked[1]) : data.selected;
  var first = data.options.filter(function (o) { return o.name === wanted; })[0] ||
    data.options.filter(function (o) { return o.name === data.selected; })[0] || data.options[0];
  if (data.options.length > 1) {
    bases["option " + esc(first.name)].addTo(map); // checks its radio button
  }
  draw(first);
  window.ecoparkMap = map;
}());
