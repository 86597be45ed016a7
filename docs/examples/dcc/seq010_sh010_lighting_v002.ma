//Maya ASCII 2025 scene
