"""DCC work: package a publish (``publish.publish``) from its inputs (``inputs.collect_inputs``)
and open a shot in its application (``launch.open_shot``).
"""
