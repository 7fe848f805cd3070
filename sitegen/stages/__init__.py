"""The build's stages, one module each, in the order build() (sitegen/pipeline.py) calls them:

    skip      the incremental check: are the inputs those of the last build?
    load      site.yaml, every article file, the images of content/             → Loaded
    convert   Markdown → HTML for every body (cached, on both cores)           → Converted
    group     taxonomy, feeds, assets, every page and every copied file        → Grouped
    render    fingerprint the pages, render the changed ones into staging      → Rendering
    publish   compare with output/, stage the copies; after the index, swap in → Compared
    index     search documents and Pagefind's shards (sitegen/search.py)       → IndexReport

To add a page kind: its context in sitegen/pages.py (PageBuilder), its template in templates/, its
address in sitegen/urls.py; the group stage collects it with the other pages.
"""
