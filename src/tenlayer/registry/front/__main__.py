from tenlayer.registry.front.server import main

main()
