from locanext.cli import main

main()
