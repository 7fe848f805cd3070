/* The search page: Vietnamese search over the portal's Pagefind index, in shards. No dependencies,
 * nothing fetched from outside the site.
 *
 * Matching: an article matches when it has every word of the query, where
 * - a word is a whole word, with or without its tone marks ("hoi" finds "hội");
 * - "d" also finds "đ" ("dai hoi" finds "Đại hội");
 * - a glossary abbreviation and its full form find each other ("cdvc", "CĐVC" and "công đoàn
 *   viên chức" are one query);
 * - while the reader types, the last word is also a beginning ("cong doa" finds "công đoàn").
 * The build writes the words so that one Pagefind search does all of this (sitegen/searchtext.py
 * explains how); `parse` reads a query by the same rules, `clean` undoes the writing in what
 * Pagefind shows.
 *
 * The index is cut by date into shards (pagefind/shards.json lists them, newest first), and the
 * lexicon says which shards hold each word: a query is searched only in the shards that hold all
 * its words, newest first, and the first results are shown as soon as the newest shards give ten.
 * Sorted by date they are final at once; sorted by relevance the list is put in its final order
 * when every shard has answered.
 *
 * The script is loaded `async` from the page's <head>: as soon as it arrives it starts the search
 * that the address asks for (Pagefind, the newest shard, the lexicon), while the browser is still
 * laying out the page; the page itself (form, results) is taken in hand once the document is
 * parsed, and its search finds that work done or under way (`searchShard` keeps it).
 */
(function () {
  "use strict";
  var MARK = "\u01c2", STROKE = "\u0345";
  var MAX_WORDS = 8, PAGE = 10, PREFIX_FROM = 3, PARALLEL = 2, TYPING_DELAY = 250;
  var WORD = /[\p{L}\p{N}]+/gu;

  /* ---- text rules: the same as sitegen/searchtext.py ---- */

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "").replace(/đ/g, "d");
  }

  function words(text) {
    return text.normalize("NFC").match(WORD) || [];
  }

  /* Folded word sequences ("cong doan vien chuc") → the abbreviation's key ("cdvc"). */
  function glossaryKeys(glossary) {
    var keys = {};
    Object.keys(glossary).forEach(function (abbreviation) {
      var parts = words(abbreviation).map(fold);
      var key = parts.join("");
      [words(glossary[abbreviation]).map(fold), parts].forEach(function (phrase) {
        if (key && phrase.length > 1) keys[phrase.join(" ")] = key;
      });
    });
    return keys;
  }

  /* A query as Pagefind terms: [{key, term, prefix}]. `key` is the folded word the lexicon knows;
     `term` what Pagefind is asked (the word as typed, lower case, đ written as the index writes
     it, MARK at the end unless it is a prefix). */
  function parse(query, keys, typing) {
    var typed = words(query).slice(0, MAX_WORDS);
    var folded = typed.map(fold);
    var out = [], i = 0;
    while (i < typed.length) {
      var n = typed.length - i, key = null;
      for (; n > 1; n--) {
        key = keys[folded.slice(i, i + n).join(" ")];
        if (key) break;
      }
      if (n > 1 && key) {
        out.push({ key: key, term: key + MARK, prefix: false });
        i += n;
      } else {
        out.push({ key: folded[i], term: typed[i].toLowerCase().replace(/đ/g, "d" + STROKE) + MARK, prefix: false });
        i += 1;
      }
    }
    var last = out[out.length - 1];
    // the word under the cursor: a beginning, once it is long enough not to match half the index
    if (typing && last && !/[\s\p{P}]$/u.test(query) && last.term.slice(-1) === MARK
        && last.key.length >= PREFIX_FROM && last.key === folded[folded.length - 1]) {
      last.term = last.term.slice(0, -1);
      last.prefix = true;
    }
    var seen = {};
    return out.filter(function (t) { return seen[t.term] ? false : (seen[t.term] = true); });
  }

  /* Pagefind's excerpt (or title) as the reader wrote it: glossary keys, backticks and MARKs out,
     đ back. Pagefind escapes the page's text and adds only <mark>. */
  function clean(html) {
    return html.replace(/\{[^{}\s]*\u01c2\}-/g, "").replace(/`([^`\s]+)`/g, "$1").replace(/\u01c2/g, "")
      .replace(/([dD])\u0345/g, function (m, d) { return d === "d" ? "đ" : "Đ"; });
  }

  // `searched`: each shard search asked of Pagefind, "head:" when the search begun from <head>
  // asked it (for tests)
  var searched = [];
  window.portalSearch = { fold: fold, words: words, parse: parse, clean: clean, glossaryKeys: glossaryKeys,
                          searched: searched };

  // the page's data, in its <head> before this script: strings, glossary, where the index is
  var dataNode = document.getElementById("search-data");
  if (!dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var S = data.strings;
  var phrases = glossaryKeys(data.glossary || {});
  var indexBase = data.index, siteBase = data.base;
  var filterParams = data.filters || {};         // address parameter → Pagefind filter ("cap": "level")

  /* ---- the index: manifest, lexicon, one Pagefind instance per shard ---- */

  var manifest = null, engine = null, instances = {}, lexiconFiles = {};

  /* shards.json: the page's <head> preloads it. A copy kept by a cache may name files a later
     build removed: if anything of the index cannot be loaded, run() asks for it afresh once. */
  function loadManifest(afresh) {
    if (!manifest || afresh) {
      manifest = fetch(indexBase + "shards.json" + (afresh ? "?ts=" + Date.now() : "")).then(function (r) {
        if (!r.ok) throw new Error("shards.json: " + r.status);
        return r.json();
      });
      if (afresh) { instances = {}; lexiconFiles = {}; engine = null; asked = null; answered = {}; }
    }
    return manifest;
  }

  /* Pagefind for one shard, on the page's own thread. All shards share one WebAssembly module:
     the first shard's instance loads it, and the others are made only once it has (two loading it
     at once would each make a module, and the first instance would lose its memory). The first
     one's own searches need not wait: Pagefind holds them until it is ready. */
  function instance(shard) {
    if (!instances[shard.id]) {
      var first = !engine;
      var made = (engine || loadEngine()).then(function (pf) {
        // noWorker: on the main thread the first results come sooner (no worker script to load
        // and start, no messages to and fro), and a search is a few milliseconds of work
        return pf.createInstance({ basePath: indexBase + shard.id + "/", baseUrl: siteBase, metaCacheTag: shard.entry,
                                   noWorker: true });
      });
      if (first) {
        // an empty search returns as soon as the instance is ready, having fetched nothing
        engine = made.then(function (one) { return one.search(""); }).then(loadEngine);
      }
      instances[shard.id] = made;
    }
    return instances[shard.id];
  }

  var module = null;
  function loadEngine() {
    if (!module) module = import(indexBase + "pagefind.js");
    return module;
  }

  function lexiconFile(name) {
    if (!lexiconFiles[name]) {
      lexiconFiles[name] = fetch(indexBase + name).then(function (r) {
        if (!r.ok) throw new Error(name + ": " + r.status);
        return r.json();
      });
    }
    return lexiconFiles[name];
  }

  function unpack(ranges, into) {
    ranges.split(",").forEach(function (part) {
      var ends = part.split("-").map(Number);
      for (var n = ends[0]; n <= ends[ends.length - 1]; n++) into[n] = true;
    });
    return into;
  }

  /* The shards (their places in the manifest) holding a word, or any word it begins. */
  function holders(m, term) {
    var files = m.lexicon, first = 0;
    for (var n = 0; n < files.length; n++) if (files[n][0] <= term.key) first = n;
    var last = first;
    if (term.prefix) while (last + 1 < files.length && files[last + 1][0].indexOf(term.key) === 0) last++;
    var wanted = files.slice(first, last + 1).map(function (f) { return lexiconFile(f[1]); });
    return Promise.all(wanted).then(function (chunks) {
      var found = {};
      chunks.forEach(function (entries) {
        entries.forEach(function (entry) {
          if (entry[0] === term.key || (term.prefix && entry[0].indexOf(term.key) === 0)) unpack(entry[1], found);
        });
      });
      return found;
    });
  }

  /* ---- one search: which shards, in what order, shown when ---- */

  var generation = 0, results = [], shown = 0;

  function chosenFilters() {
    var filters = {};
    selects.forEach(function (select) { if (select.value) filters[select.getAttribute("data-filter")] = select.value; });
    return filters;
  }

  /* The shards that may hold articles of the chosen year (all of them when none is chosen). */
  function inYear(m, filters) {
    var places = m.shards.map(function (_, n) { return n; });
    if (!filters.year) return places;
    return places.filter(function (n) {
      var s = m.shards[n];
      return s.first.slice(0, 4) <= filters.year && filters.year <= s.last.slice(0, 4);
    });
  }

  /* Of `places`, the shards that have every term (the lexicon says). */
  function candidates(m, terms, places) {
    if (!terms.length) return Promise.resolve(places);
    return Promise.all(terms.map(function (t) { return holders(m, t); })).then(function (sets) {
      return places.filter(function (n) { return sets.every(function (set) { return set[n]; }); });
    });
  }

  /* One shard's answer: its results, best first (or newest first), without its vocabulary page.
     No `kind` filter is asked for: leaving out the one page that is not an article by its id
     spares Pagefind loading a filter file before it can answer. */
  function searchShard(shard, text, options, early) {
    var signature = JSON.stringify([text, options]);
    if (signature !== asked) { asked = signature; answered = {}; }
    if (!answered[shard.id]) {
      searched.push((early ? "head:" : "") + shard.id);
      var made = answered[shard.id] = instance(shard).then(function (pf) {
        return pf.search(text, options);
      }).then(function (found) {
        return found.results.filter(function (r) { return r.id !== shard.skip; });
      });
      // a failed search is asked again next time, not remembered
      made.catch(function () { if (answered[shard.id] === made) delete answered[shard.id]; });
    }
    return answered[shard.id];
  }
  // The answers of the latest search, by shard: the search started from <head> and the page's
  // own search of the same words share them.
  var asked = null, answered = {};

  /* The search a query asks for: Pagefind's words and options, and the shards to search in. */
  function plan(m, query, filters, byDate, typing) {
    var terms = query ? parse(query, phrases, typing) : [];
    var options = { filters: filters };
    if (byDate || !query) options.sort = { date: "desc" };
    return { terms: terms, text: query ? terms.map(function (t) { return t.term; }).join(" ") : null,
             options: options, eligible: inYear(m, filters) };
  }

  /* Start the search the address asks for, before the page is ready to show it: the lexicon's
     files for its words and the newest eligible shard's answer. */
  function prefetch(params) {
    var query = (params.get("q") || "").trim(), filters = {};
    Object.keys(filterParams).forEach(function (name) {
      if (params.get(name)) filters[filterParams[name]] = params.get(name);
    });
    loadEngine();
    return loadManifest().then(function (m) {
      if (!m.shards.length) return;
      var p = plan(m, query, filters, params.get("sap-xep") === "moi-nhat", false);
      if (!p.eligible.length || (query && !p.terms.length) || (!query && !Object.keys(filters).length)) {
        instance(m.shards[0]);                 // nothing to search yet: have Pagefind ready
        return;
      }
      searchShard(m.shards[p.eligible[0]], p.text, p.options, true);
      return candidates(m, p.terms, p.eligible);
    }).catch(function () {});                   // the page's own search reports any failure
  }

  function run(typing, retried) {
    var mine = ++generation;
    var query = input.value.trim();
    var filters = chosenFilters();
    var byDate = sortSelect.value === "moi-nhat";
    if (!typing) updateUrl(query);
    if (!query && !Object.keys(filters).length) {
      list.innerHTML = ""; more.hidden = true; status.textContent = S.prompt;
      app.setAttribute("data-state", "idle");
      return Promise.resolve();
    }
    status.textContent = S.searching;
    app.setAttribute("data-state", "searching");
    var first = false;
    function stale() { return mine !== generation; }

    return loadManifest().then(function (m) {
      var p = plan(m, query, filters, byDate, typing);
      var terms = p.terms, text = p.text, options = p.options, eligible = p.eligible;
      if (query && !terms.length) return finish([], query);
      // The newest shard is searched while the lexicon is still being read: it is most often
      // the one that has the first page. If the lexicon then leaves it out, its answer (empty,
      // as the shard's vocabulary page holds every word of it) is not used.
      if (eligible.length) searchShard(m.shards[eligible[0]], text, options);
      return candidates(m, terms, eligible).then(function (places) {
        if (stale()) return;
        if (!places.length) return finish([], query);
        var answers = new Array(places.length), next = 0, complete = 0;

        // shards answer newest first, PARALLEL at a time; the first page is shown once the
        // newest of them (those with nothing newer still searching) give ten results
        function settled() {
          var merged = [];
          for (var k = 0; k < places.length && answers[k]; k++) merged = merged.concat(answers[k]);
          return merged;
        }
        function searchNext() {
          return searchOne().then(function (more) { if (more) return searchNext(); });
        }
        /* Search the next shard; true if there may be more to search. */
        function searchOne() {
          if (next >= places.length || stale()) return Promise.resolve(false);
          var k = next++, place = places[k];
          return searchShard(m.shards[place], text, options).then(function (found) {
            if (stale()) return false;
            // keep Pagefind's result itself: once it is collected, Pagefind lets go of what
            // its data() would have loaded
            answers[k] = found.map(function (r, rank) {
              return { id: r.id, score: r.score, shard: k, rank: rank, result: r };
            });
            complete++;
            var ready = settled();
            if (!first && complete < places.length && ready.length >= PAGE) {
              first = true;
              return show(order(ready, byDate || !query), query, true).then(function () { return true; });
            }
            return true;
          });
        }
        // the newest shard alone first: its ten results are most often the first page, and
        // older shards loading beside it would only slow it down
        return searchOne().then(function () {
          var lanes = [];
          for (var p = 0; p < Math.min(PARALLEL, places.length - next); p++) lanes.push(searchNext());
          return Promise.all(lanes);
        }).then(function () {
          if (stale()) return;
          return finish(order(settled(), byDate || !query), query);
        });
      });
    }).catch(function (err) {
      if (stale()) return;
      if (window.console) console.error(err);
      if (!retried) {
        loadManifest(true);
        return run(typing, true);
      }
      status.textContent = S.failed;
      app.setAttribute("data-state", "failed");
    });

    function finish(all, q) {
      if (stale()) return;
      var same = first && all.slice(0, PAGE).map(key).join() === results.slice(0, PAGE).map(key).join();
      var shownNow = same ? Promise.resolve() : show(all, q, false);
      results = all;
      return shownNow.then(function () {
        if (stale()) return;
        more.hidden = shown >= results.length;
        var n = results.length;
        if (!n) status.textContent = q ? S.none.replace("{q}", q) : S.none_filtered;
        else status.textContent = q ? S.found.replace("{n}", n).replace("{q}", q) : S.found_filtered.replace("{n}", n);
        app.setAttribute("data-state", "done");
        performance.mark("portal-search:done");
      });
    }

    /* Put the first page of `items` on screen (the rest wait for "more"). */
    function show(items, q, partial) {
      results = items; shown = 0;
      return showMore(mine).then(function () {
        if (stale()) return;
        if (partial) {
          status.textContent = S.searching_older;
          app.setAttribute("data-state", "first");
          more.hidden = true;
        }
        if (!first || partial) performance.mark("portal-search:first");
        first = true;
      });
    }
  }

  function key(hit) { return hit.shard + ":" + hit.id; }

  /* Date order: the shards' answers one after the other (each sorted by Pagefind). Relevance:
     by score; a tie goes to the newer shard, then to Pagefind's order. */
  function order(items, byDate) {
    if (byDate) return items;
    return items.slice().sort(function (a, b) { return b.score - a.score || a.shard - b.shard || a.rank - b.rank; });
  }

  function showMore(mine) {
    var batch = results.slice(shown, shown + PAGE);
    var from = shown;
    shown += batch.length;
    more.hidden = true;
    return Promise.all(batch.map(function (hit) { return hit.result.data(); })).then(function (items) {
      if (mine !== undefined && mine !== generation) return;
      if (from === 0) list.innerHTML = "";
      items.forEach(function (item) { list.appendChild(render(item)); });
      more.hidden = shown >= results.length || app.getAttribute("data-state") === "first";
    });
  }

  function text(tag, className, value) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    el.textContent = value;
    return el;
  }

  function render(item) {
    var li = document.createElement("li");
    li.className = "result";
    var meta = item.meta || {};
    if (meta.image) {
      var img = document.createElement("img");
      img.src = meta.image; img.alt = ""; img.loading = "lazy"; img.width = 160; img.height = 90;
      li.appendChild(img);
    }
    var title = document.createElement("h2");
    var link = text("a", "", meta.title ? clean(meta.title) : item.url);
    link.href = item.url;
    title.appendChild(link);
    li.appendChild(title);
    var filters = item.filters || {};
    var facts = [meta.date, (filters.level || [])[0], (filters.unit || [])[0]].filter(Boolean).join(" · ");
    if (facts) li.appendChild(text("p", "result-meta", facts));
    var excerpt = document.createElement("p");
    excerpt.className = "result-excerpt";
    excerpt.innerHTML = clean(item.excerpt); // Pagefind escapes the page's text and adds only <mark>
    li.appendChild(excerpt);
    return li;
  }

  function updateUrl(query) {
    var params = new URLSearchParams();
    if (query) params.set("q", query);
    selects.concat([sortSelect]).forEach(function (s) { if (s.value) params.set(s.name, s.value); });
    var search = params.toString();
    history.replaceState(null, "", location.pathname + (search ? "?" + search : ""));
  }

  /* ---- the page: once the document is parsed ---- */

  var app, form, input, status, list, more, selects, sortSelect, timer = null;

  function start() {
    app = document.getElementById("search-app");
    if (!app) return;
    form = app.querySelector(".search-form");
    input = app.querySelector("#search-q");
    status = app.querySelector(".search-status");
    list = app.querySelector(".search-results");
    more = app.querySelector(".search-more");
    selects = Array.prototype.slice.call(app.querySelectorAll("select[data-filter]"));
    sortSelect = form.querySelector("select[name=sap-xep]");
    app.querySelector(".search-nojs").hidden = true;
    form.hidden = false;

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { run(true); }, TYPING_DELAY);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); run(false); });
    selects.concat([sortSelect]).forEach(function (s) { s.addEventListener("change", function () { run(false); }); });
    more.addEventListener("click", function () {
      showMore().catch(function () { status.textContent = S.failed; });
    });

    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    selects.concat([sortSelect]).forEach(function (select) {
      var wanted = params.get(select.name);
      if (wanted) select.value = wanted;
    });
    // Open on wide screens, or when the address asks for a filter; on phones it stays folded.
    if (selects.concat([sortSelect]).some(function (s) { return s.value; }) || matchMedia("(min-width: 48rem)").matches) {
      app.querySelector(".search-options").open = true;
    }
    run(false);
  }

  // The search the address asks for starts now; Pagefind loads on the newest shard even when
  // there is none, so that it is ready by the time the reader has typed.
  prefetch(new URLSearchParams(location.search));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
