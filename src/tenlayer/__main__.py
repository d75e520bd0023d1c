from tenlayer.cli import main

main()
