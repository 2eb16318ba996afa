from linkready.cli import main

main()
