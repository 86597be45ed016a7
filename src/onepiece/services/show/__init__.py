"""Set up a show's hierarchy from CSV, YAML or JSON (``setup.run_show_setup``) and save/apply
templates of it (``templates.save_tree`` / ``templates.apply_tree``).
"""
