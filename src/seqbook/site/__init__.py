"""How the book's website is built beyond Jupyter Book's defaults (see `seqbook.sphinx_ext`).

- `pages`: what each page loads and how its images are described (alt text, lazy loading,
  the theme's sidebar toggle, the ipywidgets manager only where a widget view is rendered);
- `widget_files`: the PNG frames of `seqbook.widgets` moved out of the page into files;
- `downloads`: the package wheel, the notebooks zip and the "run this chapter" box.
"""
