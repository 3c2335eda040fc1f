// Loaded between RequireJS and the vendored ipywidgets manager (see _config.yml): the manager
// finds its fonts next to its own module URL, so map that module to the folder it was
// copied to (_static/vendor/) instead of a path relative to the page.
(function () {
  var vendor = document.currentScript.src.replace(/[^/]*$/, "") + "vendor";
  require.config({ paths: { "@jupyter-widgets/html-manager/dist": vendor } });
})();
