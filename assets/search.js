/* Vietnamese search page over the Pagefind index: no dependencies, no network beyond this site.
 *
 * Matching model: an article matches when it contains every word of the query (AND), where
 * - a word is matched whole and without regard to tone marks (Pagefind's exact-word search,
 *   which normalises diacritics: "hoi" finds "hội");
 * - a word starting with "d" may also be meant as "đ": "đ" is a letter of its own in Unicode,
 *   not "d" with a mark, and only a syllable's first letter can be đ, so "dai" is searched as
 *   "dai" or "đai";
 * - a glossary abbreviation and its full form are interchangeable: "cdvc", "CĐVC" and
 *   "công đoàn viên chức" are three phrasings of one query.
 * Pagefind's own multi-word search drops words it cannot find and falls back to shorter prefixes
 * ("bánh mì" finds "ban"), which is why words are searched one by one and combined here.
 */
(function () {
  "use strict";
  var app = document.getElementById("search-app");
  if (!app) return;
  var data = JSON.parse(document.getElementById("search-data").textContent);
  var S = data.strings;
  var MAX_WORDS = 8;
  var PAGE = 10;

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  }
  function words(text) {
    return text.normalize("NFC").toLowerCase().split(/[\s,.;:!?"“”()]+/).filter(Boolean);
  }

  var glossary = Object.keys(data.glossary || {}).map(function (abbr) {
    var full = data.glossary[abbr];
    return { abbr: abbr.toLowerCase(), key: fold(abbr), full: words(full), fullKeys: words(fold(full)) };
  });
  function abbreviation(word) {
    var key = fold(word);
    return glossary.find(function (g) { return g.key === key; }) || null;
  }

  /* Phrasings of a query: as typed, abbreviations spelt out, full forms abbreviated. */
  function phrasings(query) {
    var typed = words(query).slice(0, MAX_WORDS);
    var expanded = [], abbreviated = [], i = 0;
    typed.forEach(function (word) {
      var hit = abbreviation(word);
      expanded = expanded.concat(hit ? hit.full : [word]);
    });
    while (i < typed.length) {
      var found = null;
      glossary.forEach(function (g) {
        var n = g.fullKeys.length;
        if (n > 1 && !found && typed.slice(i, i + n).map(fold).join(" ") === g.fullKeys.join(" ")) found = g;
      });
      if (found) { abbreviated.push(found.abbr); i += found.fullKeys.length; }
      else { abbreviated.push(typed[i]); i += 1; }
    }
    var seen = {}, out = [];
    [typed, expanded, abbreviated].forEach(function (phrase) {
      var key = phrase.join(" ");
      if (phrase.length && !seen[key]) { seen[key] = true; out.push(phrase); }
    });
    return out;
  }

  /* The plan of a query: for each phrasing, for each word, the spellings to look up. */
  function plan(query) {
    return phrasings(query).map(function (phrase) {
      return phrase.map(function (word) {
        var hit = abbreviation(word);
        if (hit) return [hit.abbr];
        if (word.charAt(0) === "d") return [word, "đ" + word.slice(1)];
        return [word];
      });
    });
  }
  window.portalSearch = { plan: plan, fold: fold };

  var form = app.querySelector(".search-form");
  var input = app.querySelector("#search-q");
  var status = app.querySelector(".search-status");
  var list = app.querySelector(".search-results");
  var more = app.querySelector(".search-more");
  var selects = Array.prototype.slice.call(app.querySelectorAll("select[data-filter]"));
  var sortSelect = form.querySelector("select[name=sap-xep]");
  app.querySelector(".search-nojs").hidden = true;
  form.hidden = false;

  var pagefind = null, dateRank = null, results = [], shown = 0, generation = 0;

  function load() {
    if (!pagefind) {
      pagefind = import(app.getAttribute("data-bundle")).then(function (pf) {
        // Result URLs are relative to the site's root, which may be a sub-path (/portal/).
        return pf.options({ baseUrl: app.getAttribute("data-base") })
          .then(function () { return pf.init(); })
          .then(function () { return pf; });
      });
    }
    return pagefind;
  }

  function chosenFilters() {
    var filters = {};
    selects.forEach(function (select) { if (select.value) filters[select.getAttribute("data-filter")] = select.value; });
    return filters;
  }

  function fillFilters(pf) {
    return pf.filters().then(function (available) {
      var params = new URLSearchParams(location.search);
      selects.forEach(function (select) {
        var key = select.getAttribute("data-filter");
        var values = Object.keys(available[key] || {});
        if (key === "year") values.sort().reverse();
        else if (key === "level") values.sort(function (a, b) { return data.levels.indexOf(a) - data.levels.indexOf(b); });
        else values.sort(function (a, b) { return a.localeCompare(b, "vi"); });
        values.forEach(function (value) {
          var option = document.createElement("option");
          option.value = value;
          option.textContent = value + " (" + available[key][value] + ")";
          select.appendChild(option);
        });
        var wanted = params.get(select.name);
        if (wanted) select.value = wanted;
      });
      var sort = params.get(sortSelect.name);
      if (sort) sortSelect.value = sort;
      // Open on wide screens, or when the address already asks for a filter; on phones it stays folded.
      if (sort || selects.some(function (s) { return s.value; }) || matchMedia("(min-width: 48rem)").matches) {
        app.querySelector(".search-options").open = true;
      }
    });
  }

  // Rank of every page by date, newest first: lets results of several searches merge in date order.
  function ranks(pf) {
    if (!dateRank) {
      dateRank = pf.search(null, { sort: { date: "desc" } }).then(function (all) {
        var rank = {};
        all.results.forEach(function (r, i) { rank[r.id] = i; });
        return rank;
      });
    }
    return dateRank;
  }

  /* Every article containing all words of one of the phrasings; a score and a result to show for each. */
  function matchAll(pf, phrasingPlans, filters) {
    var cache = {};
    function lookup(term) {
      if (!cache[term]) {
        cache[term] = pf.search('"' + term + '"', { filters: filters }).then(function (found) {
          return found ? found.results : [];
        });
      }
      return cache[term];
    }
    return Promise.all(phrasingPlans.map(function (wordsOfPhrase) {
      return Promise.all(wordsOfPhrase.map(function (spellings) {
        return Promise.all(spellings.map(lookup)).then(function (lists) {
          var pages = {};
          lists.forEach(function (list) {
            list.forEach(function (r) { if (!pages[r.id] || pages[r.id].score < r.score) pages[r.id] = r; });
          });
          return pages;
        });
      })).then(function (perWord) {
        // AND across words; the rarest word's result gives the excerpt shown.
        perWord.sort(function (a, b) { return Object.keys(a).length - Object.keys(b).length; });
        var hits = {};
        Object.keys(perWord[0] || {}).forEach(function (id) {
          if (perWord.every(function (pages) { return pages[id]; })) {
            var score = perWord.reduce(function (sum, pages) { return sum + pages[id].score; }, 0);
            hits[id] = { id: id, score: score, result: perWord[0][id] };
          }
        });
        return hits;
      });
    })).then(function (perPhrasing) {
      var best = {};
      perPhrasing.forEach(function (hits) {
        Object.keys(hits).forEach(function (id) { if (!best[id] || best[id].score < hits[id].score) best[id] = hits[id]; });
      });
      return Object.keys(best).map(function (id) { return best[id]; });
    });
  }

  /* No query, only filters: every article that passes them. */
  function everything(pf, filters) {
    return pf.search(null, { filters: filters }).then(function (found) {
      return found.results.map(function (r) { return { id: r.id, score: 0, result: r }; });
    });
  }

  function run() {
    var query = input.value.trim();
    var filters = chosenFilters();
    var byDate = sortSelect.value === "moi-nhat";
    var mine = ++generation;
    updateUrl(query);
    if (!query && !Object.keys(filters).length) {
      list.innerHTML = ""; more.hidden = true; status.textContent = S.prompt;
      return Promise.resolve();
    }
    status.textContent = S.searching;
    app.setAttribute("data-state", "searching");
    return load().then(function (pf) {
      return (query ? matchAll(pf, plan(query), filters) : everything(pf, filters)).then(function (merged) {
        var order = byDate || !query ? ranks(pf) : Promise.resolve(null);
        return order.then(function (rank) {
          merged.sort(rank ? function (a, b) { return rank[a.id] - rank[b.id]; }
                           : function (a, b) { return b.score - a.score || (a.id < b.id ? -1 : 1); });
          if (mine !== generation) return;
          results = merged; shown = 0; list.innerHTML = "";
          var n = results.length;
          return showMore().then(function () {
            if (mine !== generation) return;
            if (!n) status.textContent = query ? S.none.replace("{q}", query) : S.none_filtered;
            else status.textContent = query ? S.found.replace("{n}", n).replace("{q}", query) : S.found_filtered.replace("{n}", n);
            app.setAttribute("data-state", "done");
          });
        });
      });
    }).catch(function () { status.textContent = S.failed; });
  }

  function showMore() {
    var batch = results.slice(shown, shown + PAGE);
    shown += batch.length;
    more.hidden = shown >= results.length;
    return Promise.all(batch.map(function (hit) { return hit.result.data(); })).then(function (items) {
      items.forEach(function (item) { list.appendChild(render(item)); });
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
    var link = text("a", "", meta.title || item.url);
    link.href = item.url;
    title.appendChild(link);
    li.appendChild(title);
    // Level and unit come from the filters: as metadata Pagefind would also search them.
    var filters = item.filters || {};
    var facts = [meta.date, (filters.level || [])[0], (filters.unit || [])[0]].filter(Boolean).join(" · ");
    if (facts) li.appendChild(text("p", "result-meta", facts));
    var excerpt = document.createElement("p");
    excerpt.className = "result-excerpt";
    excerpt.innerHTML = item.excerpt; // Pagefind escapes page text and adds only <mark>
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

  var timer = null;
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 300); });
  form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); run(); });
  selects.concat([sortSelect]).forEach(function (s) { s.addEventListener("change", run); });
  more.addEventListener("click", showMore);

  input.value = new URLSearchParams(location.search).get("q") || "";
  load().then(fillFilters).then(run, function () { status.textContent = S.failed; });
})();
